/**
 * The SQLite store's durability without a disk flush on the event loop: a
 * commit's flush runs on libuv's thread pool while the loop goes on, nothing
 * is acknowledged (or read back) before that flush is over, and checkpoints
 * run on a worker thread, the write connection never checkpointing itself.
 *
 * No timing: the thread pool is held busy by opens of named pipes (each
 * blocks a pool thread until the test opens the pipe's other end), so the
 * flush cannot run until the test lets it, however fast the machine.
 */
import Database from "better-sqlite3";
import { execFileSync } from "node:child_process";
import { closeSync, constants, open, openSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SqliteLedger } from "../../src/ledger/sqlite/ledger.js";
import { SqliteEngine } from "../../src/ledger/sqlite/engine.js";
import { openDatabase } from "../../src/ledger/sqlite/open.js";
import { waitFor } from "../helpers/stack.js";
import { assertInvariants, tempDir } from "../helpers/temp-ledger.js";

/** More pipes than libuv has pool threads (4 unless UV_THREADPOOL_SIZE says more): every thread blocks in open(). */
const PIPES = Math.max(64, Number(process.env.UV_THREADPOOL_SIZE ?? 0));

/** Occupies libuv's whole thread pool until `release()`: work queued after this waits. */
function holdThreadPool(dir: string) {
  const pipes = Array.from({ length: PIPES }, (_, i) => join(dir, `pipe-${i}`));
  execFileSync("mkfifo", pipes);
  const readers = pipes.map((path) => new Promise<number>((resolve, reject) => open(path, "r", (error, fd) => (error ? reject(error) : resolve(fd)))));
  return {
    async release() {
      const waiting = new Set(pipes);
      const writers: number[] = [];
      // A pipe whose reader is in open() takes a non-blocking writer, which lets that open return and frees its thread.
      await waitFor(() => {
        for (const path of waiting) {
          try {
            writers.push(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
            waiting.delete(path);
          } catch (error) {
            if ((error as { code?: string }).code !== "ENXIO") throw error;
          }
        }
        return waiting.size === 0;
      });
      for (const fd of [...(await Promise.all(readers)), ...writers]) closeSync(fd);
    },
  };
}

const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("SQLite durability off the event loop", () => {
  it("flushes a commit on the thread pool while the loop runs on, and acknowledges it (and reads of it) only after", async () => {
    const dir = tempDir();
    const path = join(dir, "ecn.db");
    const ledger = new SqliteLedger(new SqliteEngine(openDatabase(path)));
    const org = await ledger.createOrg("acme", Date.now());
    const other = new Database(path, { readonly: true });
    const balanceSeenByOther = () => (other.prepare("SELECT balance_micro_credits AS b FROM wallets").get() as { b: number }).b;
    const pool = holdThreadPool(dir);

    let acknowledged = false;
    const grant = ledger.grantCredits(org.id, 5n, null, Date.now()).then(() => (acknowledged = true));
    // The batch commits on the next turn (another connection sees it) and its flush waits for a pool thread;
    // meanwhile timers keep firing (this waitFor polls on them) and nothing is acknowledged.
    await waitFor(() => balanceSeenByOther() === 5);
    for (let i = 0; i < 5; i++) await turn();
    expect(acknowledged, "a write was acknowledged before its flush ran").toBe(false);
    let read = false;
    const wallet = ledger.getWallet(org.id).then((w) => ((read = true), w));
    for (let i = 0; i < 5; i++) await turn();
    expect(read, "a read answered with a commit that is not on disk yet").toBe(false);

    const flushes = ledger.engine.durability.stats.flushes;
    await pool.release();
    await grant;
    expect(acknowledged).toBe(true);
    expect((await wallet).balanceMicroCredits).toBe(5n);
    expect(ledger.engine.durability.stats.flushes).toBeGreaterThan(flushes);
    other.close();
    await ledger.close();
  });

  it("checkpoints on a worker thread: the WAL starts over under steady writes, and the flush follows the live WAL", async () => {
    const path = join(tempDir(), "ecn.db");
    const engine = new SqliteEngine(openDatabase(path), { every: 5, restartFrames: 20, busyMs: 20 });
    const ledger = new SqliteLedger(engine);
    expect(engine.sqlite.pragma("wal_autocheckpoint", { simple: true }), "the write connection never checkpoints by itself").toBe(0n);
    const org = await ledger.createOrg("acme", Date.now());
    let sizeAfterFirstRestart = 0;
    for (let i = 0; i < 400; i++) {
      await ledger.grantCredits(org.id, 1n, `grant ${i}`, Date.now());
      if (engine.checkpointer!.stats.restarts > 0 && sizeAfterFirstRestart === 0) sizeAfterFirstRestart = statSync(`${path}-wal`).size;
    }
    expect(engine.checkpointer!.stats.restarts).toBeGreaterThan(1);
    expect(engine.checkpointer!.stats.errors).toBe(0);
    // The WAL is reused from its start, not grown: a few hundred commits stay within a couple of restart cycles' worth.
    expect(statSync(`${path}-wal`).size).toBeLessThanOrEqual(Math.max(sizeAfterFirstRestart, 1) * 2);
    expect(engine.durability.namesLiveWal()).toBe(true);
    expect((await ledger.getWallet(org.id)).balanceMicroCredits).toBe(400n);
    await assertInvariants(ledger);
    await ledger.close();

    // Everything acknowledged is in the file, read by a fresh connection.
    const reopened = new Database(path, { readonly: true });
    expect(reopened.prepare("SELECT count(*) AS n FROM credit_transactions WHERE kind = 'grant'").get()).toEqual({ n: 400 });
    expect(reopened.pragma("quick_check", { simple: true })).toBe("ok");
    reopened.close();
  });
});
