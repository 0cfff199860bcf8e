/**
 * How a SQLite server hears other processes' changes: the file's own change
 * counter. `PRAGMA data_version` changes whenever another connection (another
 * server on the same file, an `ecn-mcp` verb) commits, and costs no I/O to
 * read in WAL mode, so it is checked before every cached read: anything a
 * revoke or a price change wrote elsewhere is seen by the very next call.
 * It cannot say what changed, so any foreign commit drops the whole cache
 * (each entry is one small read to get back). This connection's own writes
 * do not move it; the ledger drops their topics itself.
 */
import type Database from "better-sqlite3";
import type { ChangeFeed, FeedEvents } from "../read-cache.js";

export class SqliteChangeFeed implements ChangeFeed {
  private readonly version: Database.Statement;
  private last: unknown;
  private events: FeedEvents | null = null;

  constructor(sqlite: Database.Database) {
    this.version = sqlite.prepare("PRAGMA data_version").pluck();
    this.last = this.version.get();
  }

  start(events: FeedEvents): Promise<void> {
    this.events = events;
    this.last = this.version.get();
    events.hearing(true, "the ledger file's change counter");
    return Promise.resolve();
  }

  poll(): void {
    const now = this.version.get();
    if (now === this.last) return;
    this.last = now;
    this.events?.changed(null);
  }

  close(): Promise<void> {
    this.events = null;
    return Promise.resolve();
  }
}
