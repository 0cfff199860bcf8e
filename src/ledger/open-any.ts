/** Opens whichever store the configuration names: PostgreSQL when a database URL is set, the SQLite file otherwise. */
import { displayUrl, migratePostgresLedger, openPostgresLedger, type PostgresLedger } from "./postgres/ledger.js";
import { migrateSqliteLedger, openSqliteLedger, type SqliteLedger } from "./sqlite/ledger.js";

export interface LedgerTarget {
  /** ECN_DATABASE_URL: a postgres:// URL selects the PostgreSQL store. */
  databaseUrl?: string | undefined;
  /** ECN_DB_PATH: the SQLite file, used when there is no database URL. */
  dbPath: string;
  poolMax?: number;
  onIdleError?: (error: Error) => void;
}

export async function openLedger(target: LedgerTarget): Promise<SqliteLedger | PostgresLedger> {
  if (target.databaseUrl) {
    return openPostgresLedger(target.databaseUrl, {
      ...(target.poolMax !== undefined ? { poolMax: target.poolMax } : {}),
      ...(target.onIdleError ? { onIdleError: target.onIdleError } : {}),
    });
  }
  return openSqliteLedger(target.dbPath);
}

/** Applies pending migrations to the configured store; returns how many ran. */
export async function migrateLedger(target: LedgerTarget): Promise<number> {
  return target.databaseUrl ? migratePostgresLedger(target.databaseUrl) : migrateSqliteLedger(target.dbPath);
}

/** Where the ledger is, as it may be shown (a database URL without its password). */
export function ledgerLocation(target: LedgerTarget): string {
  return target.databaseUrl ? displayUrl(target.databaseUrl) : target.dbPath;
}
