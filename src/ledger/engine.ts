/**
 * What a store provides to run the ledger's scripts: the SQLite store and
 * the PostgreSQL store each implement it once; everything above (the
 * statements, the scripts, the Ledger itself) is shared.
 */
import type { CacheTopic, ChangeFeed } from "./read-cache.js";
import type { Script } from "./script.js";
import type { Dialect, Params, RetryableStatement } from "./sql.js";

export interface Engine {
  readonly dialect: Dialect;
  /** Where the ledger is, for logs and messages: a file path, or a database URL without its password. */
  readonly location: string;
  /**
   * Runs a script as one durable write transaction; resolves once it is
   * committed. With `changes`, the transaction also tells every other process
   * that cached data of that topic changed, atomically with the change
   * (PostgreSQL: a NOTIFY sent at COMMIT; SQLite's change counter needs nothing).
   */
  write<T>(script: () => Script<T>, changes?: CacheTopic): Promise<T>;
  /**
   * Runs one statement as its own durable write; how many rows it changed.
   * Only statements safe to send twice (declared with idempotentStatement,
   * see the rule there): PostgreSQL runs them without BEGIN/COMMIT round
   * trips, and may send one again after a lost connection.
   */
  writeOne<P extends Params>(statement: RetryableStatement<unknown, P>, params: NoInfer<P>): Promise<number>;
  /** Runs a script that only reads. */
  read<T>(script: () => Script<T>): Promise<T>;
  /** Reads the whole store back from scratch (not from a cache); null when sound, otherwise what is wrong. */
  checkIntegrity(): Promise<string | null>;
  /** How this process hears the changes other processes make to cached data (see read-cache.ts). */
  changeFeed(): ChangeFeed;
  close(): Promise<void>;
}
