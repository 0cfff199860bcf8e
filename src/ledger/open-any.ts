/**
 * Opens whichever store the configuration names: PostgreSQL when a database
 * URL is set, the SQLite file otherwise. Each store's modules (its driver,
 * its migrator) load only when that store is opened, so a verb on a SQLite
 * ledger never loads pg, and the reverse.
 */
import { displayUrl } from "./location.js";
import type { PostgresLedger } from "./postgres/ledger.js";
import type { SqliteLedger } from "./sqlite/ledger.js";

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
    const { openPostgresLedger } = await import("./postgres/ledger.js");
    return openPostgresLedger(target.databaseUrl, {
      ...(target.poolMax !== undefined ? { poolMax: target.poolMax } : {}),
      ...(target.onIdleError ? { onIdleError: target.onIdleError } : {}),
    });
  }
  const { openSqliteLedger } = await import("./sqlite/ledger.js");
  return openSqliteLedger(target.dbPath);
}

/** Applies pending migrations to the configured store; returns how many ran. */
export async function migrateLedger(target: LedgerTarget): Promise<number> {
  if (target.databaseUrl) return (await import("./postgres/ledger.js")).migratePostgresLedger(target.databaseUrl);
  return (await import("./sqlite/ledger.js")).migrateSqliteLedger(target.dbPath);
}

/** Where the ledger is, as it may be shown (a database URL without its password). */
export function ledgerLocation(target: LedgerTarget): string {
  return target.databaseUrl ? displayUrl(target.databaseUrl) : target.dbPath;
}
