/**
 * Opens a ledger file with the pragmas every guarantee rests on: WAL so
 * readers never block the writer, synchronous=FULL so an acknowledged charge
 * survives power loss, foreign keys on, and a busy timeout so processes
 * sharing the file queue for the write lock instead of failing.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import { applyMigrations } from "./migrate.js";
import * as schema from "./schema.js";

export type LedgerDb = BetterSQLite3Database<typeof schema>;
/** The database or a transaction on it: what query helpers run against. */
export type LedgerConn = BaseSQLiteDatabase<"sync", Database.RunResult, typeof schema>;

export interface OpenedDatabase {
  sqlite: Database.Database;
  db: LedgerDb;
}

export const BUSY_TIMEOUT_MS = 10_000;

export function openDatabase(path: string, options: { migrate?: boolean } = {}): OpenedDatabase {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = FULL");
  sqlite.pragma("foreign_keys = ON");
  // Integers come back as BigInt: money never passes through a float.
  sqlite.defaultSafeIntegers(true);
  if (options.migrate !== false) applyMigrations(sqlite);
  return { sqlite, db: drizzle(sqlite, { schema }) };
}
