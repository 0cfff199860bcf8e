import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { checkInvariants, openLedger, type SqliteLedger } from "../../src/ledger/index.js";

const cleanups: (() => void)[] = [];

afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

/** A fresh directory removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "ecn-test-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A real ledger file in a temp directory, migrated with the real migrations. */
export function tempLedger(): { ledger: SqliteLedger; path: string } {
  const path = join(tempDir(), "ledger.db");
  const ledger = openLedger(path);
  cleanups.push(() => ledger.close());
  return { ledger, path };
}

/** Fails the test with every broken invariant. */
export function assertInvariants(ledger: SqliteLedger): void {
  const problems = checkInvariants(ledger.sqlite);
  if (problems.length) throw new Error(`ledger invariants broken:\n${problems.join("\n")}`);
}
