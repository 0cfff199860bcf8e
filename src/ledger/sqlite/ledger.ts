/** The SQLite store: a ledger file, opened with its pragmas and migrated, behind the shared Ledger. */
import { ScriptedLedger } from "../ledger.js";
import { SqliteEngine } from "./engine.js";
import { applyMigrations } from "./migrate.js";
import { openDatabase } from "./open.js";

export class SqliteLedger extends ScriptedLedger {
  declare readonly engine: SqliteEngine;

  constructor(engine: SqliteEngine) {
    super(engine);
  }

  /** The open database, for tools that read the file directly (tests, the benchmark). */
  get sqlite() {
    return this.engine.sqlite;
  }
}

/** Opens (creating and migrating if needed) the ledger file at `path`. */
export function openSqliteLedger(path: string): SqliteLedger {
  return new SqliteLedger(new SqliteEngine(openDatabase(path)));
}

/** Applies pending migrations to the ledger file at `path`; returns how many ran. */
export function migrateSqliteLedger(path: string): number {
  const sqlite = openDatabase(path, { migrate: false });
  try {
    return applyMigrations(sqlite);
  } finally {
    sqlite.close();
  }
}
