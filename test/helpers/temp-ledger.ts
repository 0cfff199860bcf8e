import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";

const cleanups: (() => void)[] = [];

afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

/** A fresh directory (ecn-<name>-…) removed after the test. */
export function tempDir(name = "test"): string {
  const dir = mkdtempSync(join(tmpdir(), `ecn-${name}-`));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export { assertInvariants, tempLedger } from "./store.js";
