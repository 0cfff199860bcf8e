/**
 * Group commit: ledger writes issued while the event loop is busy are run in
 * ONE immediate transaction, so many paid calls in flight share one durable
 * commit (one fsync) instead of paying one each. Each write still runs in its
 * own savepoint, so one that fails rolls back alone, and no write's promise
 * resolves before the commit that made it durable has returned.
 *
 * A lone write waits only for the next turn of the event loop.
 */
import type Database from "better-sqlite3";

interface Pending {
  write: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown };
}

export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly commitBatch: Database.Transaction<(batch: Pending[]) => void>;
  /** Batches committed, and writes in them (for the benchmark's report). */
  readonly stats = { commits: 0, writes: 0 };

  constructor(sqlite: Database.Database) {
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

  /** Runs `write` in the next batch; resolves once its batch is committed. */
  run<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits whatever is queued now (also before the database closes). */
  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    try {
      this.commitBatch.immediate(batch);
      this.stats.commits++;
      this.stats.writes += batch.length;
    } catch (error) {
      // The commit itself failed (disk full, lock timeout): nothing in the batch is durable.
      for (const item of batch) item.reject(error);
      return;
    }
    for (const item of batch) {
      if (item.outcome?.ok) item.resolve(item.outcome.value);
      else item.reject(item.outcome?.error);
    }
  }
}
