/**
 * The durability barrier: a SQLite commit reaches the disk without the event
 * loop waiting for the flush.
 *
 * The write connection runs with `synchronous = NORMAL` in WAL mode: a commit
 * appends its frames to the `-wal` file (a write() into the page cache) and
 * returns without fsync. This module then flushes that file with
 * `fdatasync` on libuv's thread pool, and a write is acknowledged only once a
 * flush that started after its commit has finished. One flush covers every
 * commit made before it started, so commits that land while a flush runs
 * share the next one (group commit of the flushes themselves).
 *
 * Why this is as durable as `synchronous = FULL`:
 *  - The WAL file is one inode for the connection's whole life: SQLite only
 *    deletes it when the last connection closes (ours is open, holding the
 *    database's shared lock), and a checkpoint restarts or truncates it in
 *    place. So the descriptor opened here always names the live WAL.
 *  - fdatasync flushes every dirty page of that file, whoever wrote it: the
 *    frames of another process's commits too. After a power loss SQLite
 *    recovers the WAL's longest valid prefix (frames carry a cumulative
 *    checksum and the header's salt), so what a flush made durable is exactly
 *    every commit before it, in order.
 *  - A process crash (kill -9) loses nothing either way: the frames are in
 *    the kernel's page cache the moment the commit returns.
 *  - Checkpoints stay safe: a checkpointing connection (checkpointer.ts, at
 *    synchronous = FULL) syncs the WAL before it copies frames into the
 *    database, and the database before the WAL is reused; the WAL header of a
 *    reused WAL is synced by whichever connection writes it first.
 *
 * What changes: a commit is visible to other connections before it is
 * durable (with FULL, SQLite flushes before publishing it). In this process
 * that is closed off: a read that may have seen a commit not yet flushed (one
 * of ours, or another connection's: PRAGMA data_version moved) waits for a
 * flush before it answers, so nothing this process says rests on what a power
 * loss could undo. Another process may see a commit up to one flush early;
 * anything it writes because of it comes later in the WAL and is made durable
 * only together with it.
 *
 * A flush that fails (EIO) leaves the outcome of every commit since the last
 * good one unknown, and the kernel may already have dropped the pages it
 * could not write: from then on every write and read fails as unavailable,
 * and the process must restart (as PostgreSQL panics on a failed fsync).
 */
import { closeSync, fdatasync, fstatSync, openSync, statSync } from "node:fs";
import { LedgerUnavailable } from "../errors.js";

export class WalDurability {
  private fd: number | null = null;
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  private failure: LedgerUnavailable | null = null;
  /** Commits made, and commits known durable (counted, not named: each flush covers all before it). */
  private committed = 0;
  private durable = 0;
  /** The connection's data_version when the last completed flush started: other connections' commits up to it are durable. */
  private durableVersion: bigint | null = null;
  /** Flushes completed (for tests and the benchmark). */
  readonly stats = { flushes: 0 };

  /**
   * @param walPath the `-wal` file beside the database (null for an in-memory database: nothing to flush)
   * @param dataVersion reads PRAGMA data_version on the write connection
   */
  constructor(
    private readonly walPath: string | null,
    private readonly dataVersion: () => bigint,
  ) {}

  /** Notes a commit; `flushed()` then resolves once it is durable. */
  committedOne(): void {
    this.committed++;
  }

  /** Resolves once every commit made so far (by any connection) is on disk; rejects if the flush fails. */
  flushed(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.walPath === null) {
      this.durable = this.committed;
      return Promise.resolve();
    }
    if (!this.running) return (this.running = this.flush());
    // A flush is under way, but it may have started before the commits this caller needs: queue one more.
    this.next ??= this.running.then(
      () => this.startNext(),
      () => this.startNext(),
    );
    return this.next;
  }

  private startNext(): Promise<void> {
    this.next = null;
    if (this.failure) return Promise.reject(this.failure);
    return (this.running = this.flush());
  }

  /**
   * After a read: resolves at once when everything the read could have seen
   * is durable, otherwise after a flush (see the top of this file).
   */
  readable(): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    if (this.walPath === null) return undefined;
    if (this.committed === this.durable && this.dataVersion() === this.durableVersion) return undefined;
    return this.flushed();
  }

  private flush(): Promise<void> {
    const through = this.committed;
    const version = this.dataVersion();
    let fd: number;
    try {
      fd = this.descriptor();
    } catch (error) {
      return Promise.reject(this.fail(error));
    }
    return new Promise<void>((resolve, reject) => {
      fdatasync(fd, (error) => {
        if (this.running && this.next === null) this.running = null;
        if (error) return reject(this.fail(error));
        this.stats.flushes++;
        if (through > this.durable) this.durable = through;
        this.durableVersion = version;
        resolve();
      });
    });
  }

  /** The live WAL, opened once (read-only: it is only ever flushed through this descriptor). */
  private descriptor(): number {
    if (this.fd !== null) return this.fd;
    const fd = openSync(this.walPath!, "r");
    this.fd = fd;
    return fd;
  }

  /** True while the descriptor names the file at the WAL's path (checked by tests across checkpoints). */
  namesLiveWal(): boolean {
    if (this.fd === null || this.walPath === null) return true;
    const open = fstatSync(this.fd);
    const current = statSync(this.walPath, { throwIfNoEntry: false });
    return current !== undefined && current.ino === open.ino && current.dev === open.dev;
  }

  private fail(error: unknown): LedgerUnavailable {
    this.failure ??= new LedgerUnavailable(
      `flushing the ledger's write-ahead log to disk failed (${(error as { code?: string }).code ?? String(error)}): ` +
        "the last commits may not be durable, so this process takes no more writes; restart it (reconcile settles what was open)",
      { cause: error },
    );
    return this.failure;
  }

  /** Closes the descriptor (after the connection closed: the WAL may already be gone). */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
