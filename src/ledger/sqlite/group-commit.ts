/**
 * Group commit: ledger writes issued while the event loop is busy are run in
 * ONE immediate transaction, so many paid calls in flight share one commit
 * instead of paying one each. Each write still runs in its own savepoint, so
 * one that fails rolls back alone.
 *
 * No write's promise resolves before its commit is durable: the commit
 * itself only appends to the WAL (synchronous = NORMAL), and the batch is
 * acknowledged once the WAL is flushed to disk (durability.ts), which runs
 * on libuv's thread pool while the event loop goes on: the next batch is
 * executed and committed meanwhile, and waits for the flush after. So the
 * loop never stops for a disk flush, and flushes are shared too.
 *
 * A lone write waits only for the next turn of the event loop (plus the
 * flush). While the checkpointer restarts the WAL, batches are held back
 * (queued, not blocking) and run as soon as it is done.
 */
import type Database from "better-sqlite3";
import type { WriteGate } from "./checkpointer.js";

interface Pending {
  write: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown };
}

/** What makes a commit durable (see WalDurability); without one, the commit itself must be (synchronous = FULL). */
export interface Durability {
  committedOne(): void;
  flushed(): Promise<void>;
}

const ALREADY_DURABLE: Durability = { committedOne: () => undefined, flushed: () => Promise.resolve() };

export class GroupCommit implements WriteGate {
  private queue: Pending[] = [];
  private scheduled = false;
  private paused = false;
  private readonly commitBatch: Database.Transaction<(batch: Pending[]) => void>;
  /** Batches committed, and writes in them (for the benchmark's report). */
  readonly stats = { commits: 0, writes: 0 };
  /** Told after each commit (the checkpointer counts them). */
  afterCommit: () => void = () => undefined;

  constructor(
    sqlite: Database.Database,
    private readonly durability: Durability = ALREADY_DURABLE,
  ) {
    const savepoint = sqlite.transaction((write: () => unknown) => write());
    this.commitBatch = sqlite.transaction((batch: Pending[]) => {
      for (const item of batch) {
        try {
          item.outcome = { ok: true, value: savepoint(item.write) };
        } catch (error) {
          item.outcome = { ok: false, error };
        }
      }
    });
  }

  /** Runs `write` in the next batch; resolves once its batch is committed and durable. */
  run<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.paused || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  /** Holds batches back (queued) until resume(). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.schedule();
  }

  /** Commits whatever is queued now; resolves once that is durable (also before the database closes). */
  flush(): Promise<void> {
    this.scheduled = false;
    if (this.paused || this.queue.length === 0) return Promise.resolve();
    const batch = this.queue;
    this.queue = [];
    try {
      this.commitBatch.immediate(batch);
      this.stats.commits++;
      this.stats.writes += batch.length;
    } catch (error) {
      // The commit itself failed (disk full, lock timeout): nothing in the batch is committed.
      for (const item of batch) item.reject(error);
      return Promise.resolve();
    }
    this.durability.committedOne();
    this.afterCommit();
    return this.durability.flushed().then(
      () => {
        for (const item of batch) {
          if (item.outcome?.ok) item.resolve(item.outcome.value);
          else item.reject(item.outcome?.error);
        }
      },
      // Committed, but whether it reached the disk is unknown: nobody is told it is done.
      (error: unknown) => {
        for (const item of batch) item.reject(item.outcome?.ok ? error : item.outcome?.error);
      },
    );
  }
}
