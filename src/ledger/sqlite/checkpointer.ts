/**
 * Checkpoints off the event loop. SQLite's automatic checkpoint runs inside
 * the commit that crosses its threshold, on the committing thread, and a
 * checkpoint flushes the WAL and the database file: a pause of the event loop
 * for two fsyncs and a few megabytes of writes. The write connection turns it
 * off (wal_autocheckpoint = 0) and this class has a worker thread with its
 * own connection do it instead:
 *
 *  1. every `every` commits, a PASSIVE checkpoint: it copies what it can into
 *     the database while writes go on (it takes no writer lock);
 *  2. once the WAL holds `restartFrames` frames or more, writes are held
 *     back for a moment (queued, never blocking the loop: see GroupCommit),
 *     and the worker runs a RESTART checkpoint (what arrived since step 1)
 *     followed by one small write of its own. That write starts the WAL over
 *     from its beginning and syncs its new header (the worker's connection is
 *     at synchronous = FULL). The write connection then only ever appends:
 *     it never writes a WAL header itself, which at synchronous = NORMAL it
 *     would sync on the event loop. Then writes resume.
 *
 * Without step 2 the WAL would grow for ever under steady load: a passive
 * checkpoint running beside the writer never finds the WAL fully copied, so
 * SQLite never reuses it. If the worker cannot be used (it failed to start or
 * died), the write connection goes back to SQLite's automatic checkpoint:
 * slower, never unsafe.
 *
 * The worker is a thread of this process, not another process: SQLite's
 * POSIX advisory locks are per process, and its own bookkeeping of them is
 * shared by the connections of one process, whatever thread they run on.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** The worker: CommonJS, evaluated from this text so it runs the same from src/ (tests) and dist/. */
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma("busy_timeout = " + workerData.busyMs);
db.pragma("synchronous = FULL");
db.pragma("wal_autocheckpoint = 0");
db.defaultSafeIntegers(false);
const touch = db.prepare(workerData.touchSql);
parentPort.on("message", (mode) => {
  try {
    const [result] = db.pragma("wal_checkpoint(" + mode + ")");
    const done = mode === "RESTART" && result.busy === 0;
    if (done) touch.run({ now: Date.now() });
    parentPort.postMessage({ mode, busy: result.busy, log: result.log, checkpointed: result.checkpointed, restarted: done });
  } catch (error) {
    parentPort.postMessage({ mode, error: String((error && error.message) || error) });
  }
});
`;

interface Outcome {
  mode: "PASSIVE" | "RESTART";
  busy?: number;
  log?: number;
  checkpointed?: number;
  restarted?: boolean;
  error?: string;
}

/** What the checkpointer needs of the group commit: holding writes back around a restart. */
export interface WriteGate {
  pause(): void;
  resume(): void;
}

export interface CheckpointOptions {
  /** Commits between two passive checkpoints. */
  every: number;
  /** WAL frames from which the WAL is restarted (SQLite's own threshold is 1000 pages). */
  restartFrames: number;
  /** How long a restart waits for another process's reader before it gives up until next time. */
  busyMs: number;
}

export const CHECKPOINT_DEFAULTS: CheckpointOptions = { every: 200, restartFrames: 1000, busyMs: 20 };

export class Checkpointer {
  private worker: Worker | null = null;
  private since = 0;
  private cycle: { resolve: () => void } | null = null;
  /** Callers waiting for the cycle under way. */
  private readonly done: (() => void)[] = [];
  private broken = false;
  private paused = false;
  /** Checkpoints run, WAL restarts, restarts given up (a reader in the way), failures. */
  readonly stats = { passive: 0, restarts: 0, busy: 0, errors: 0 };

  constructor(
    private readonly path: string,
    private readonly touchSql: string,
    private readonly writes: WriteGate,
    /** Called once if the worker fails: the write connection checkpoints by itself again. */
    private readonly fallback: () => void,
    private readonly options: CheckpointOptions = CHECKPOINT_DEFAULTS,
  ) {}

  /** Counts a commit; every `every` commits, starts a checkpoint cycle (unless one is running). */
  afterCommit(): void {
    if (++this.since < this.options.every || this.cycle || this.broken) return;
    void this.checkpoint();
  }

  /** Runs one cycle now (passive, then a restart if the WAL is long); resolves when it is over. */
  checkpoint(): Promise<void> {
    if (this.broken) return Promise.resolve();
    if (this.cycle) return new Promise((resolve) => this.done.push(resolve));
    this.since = 0;
    return new Promise<void>((resolve) => {
      this.cycle = { resolve };
      this.send("PASSIVE");
    });
  }

  private send(mode: Outcome["mode"]): void {
    try {
      this.worker ??= this.start();
      this.worker.postMessage(mode);
    } catch {
      this.fail();
    }
  }

  private start(): Worker {
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: {
        driver: createRequire(import.meta.url).resolve("better-sqlite3"),
        path: this.path,
        busyMs: this.options.busyMs,
        touchSql: this.touchSql,
      },
    });
    worker.unref(); // never what keeps the process alive
    worker.on("message", (outcome: Outcome) => this.onOutcome(outcome));
    worker.on("error", () => this.fail());
    worker.on("exit", () => {
      if (this.worker === worker) this.fail();
    });
    return worker;
  }

  private onOutcome(outcome: Outcome): void {
    if (outcome.error !== undefined) {
      this.stats.errors++;
      return this.finish();
    }
    if (outcome.mode === "PASSIVE") {
      this.stats.passive++;
      if ((outcome.log ?? 0) < this.options.restartFrames) return this.finish();
      // No write of ours is in progress between two turns of the loop: hold the next ones back and restart.
      this.paused = true;
      this.writes.pause();
      return this.send("RESTART");
    }
    if (outcome.restarted) this.stats.restarts++;
    else this.stats.busy++;
    this.finish();
  }

  private finish(): void {
    if (this.paused) {
      this.paused = false;
      this.writes.resume();
    }
    const cycle = this.cycle;
    this.cycle = null;
    cycle?.resolve();
    for (const resolve of this.done.splice(0)) resolve();
  }

  private fail(): void {
    if (this.broken) return;
    this.broken = true;
    this.stats.errors++;
    const worker = this.worker;
    this.worker = null;
    void worker?.terminate();
    this.fallback();
    this.finish();
  }

  /** Stops the worker (before the database closes); writes held back resume. */
  async close(): Promise<void> {
    this.broken = true;
    const worker = this.worker;
    this.worker = null;
    this.finish();
    await worker?.terminate();
  }
}
