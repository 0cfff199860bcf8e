/**
 * The PostgreSQL store: a pool of connections to `ECN_DATABASE_URL`,
 * migrated at open, behind the shared Ledger. For a deployment that outgrows
 * one machine: any number of instances share one database.
 */
import pg from "pg";
import { LedgerUnavailable } from "../errors.js";
import { ScriptedLedger } from "../ledger.js";
import { PostgresEngine } from "./engine.js";
import { displayUrl } from "../location.js";
import { asLedgerFailure } from "./errors.js";
import { applyPostgresMigrations } from "./migrate.js";

export interface PostgresOptions {
  /** Connections this process may open (ECN_PG_POOL_MAX). */
  poolMax?: number;
  /** Told about errors of idle connections (the server went away between queries). */
  onIdleError?: (error: Error) => void;
  /** Apply pending migrations at open (default true). */
  migrate?: boolean;
}

export class PostgresLedger extends ScriptedLedger {
  declare readonly engine: PostgresEngine;

  constructor(engine: PostgresEngine) {
    super(engine);
  }
}

function createPool(url: string, options: PostgresOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // A query that hangs (a server that stopped answering) fails instead of holding a paid call forever.
    query_timeout: 30_000,
    // Statements of one transaction go out without waiting for each other's answers (see PostgresEngine).
    pipeline: true,
  });
  // An idle connection that dies must not take the process with it: the next checkout makes a new one.
  pool.on("error", (error) => options.onIdleError?.(error));
  return pool;
}

/** Connects to the database at `url` and migrates it; throws LedgerUnavailable when it cannot be reached. */
export async function openPostgresLedger(url: string, options: PostgresOptions = {}): Promise<PostgresLedger> {
  const location = displayUrl(url);
  const pool = createPool(url, options);
  try {
    if (options.migrate !== false) await applyPostgresMigrations(pool);
    else await pool.query("SELECT 1");
  } catch (error) {
    await pool.end().catch(() => undefined);
    const failure = asLedgerFailure(error, location);
    throw failure instanceof LedgerUnavailable ? failure : new LedgerUnavailable(`cannot open the ledger ${location}: ${String(error)}`, { cause: error });
  }
  // The change feed's connection: not pooled (it stays open, listening), kept alive so a dead peer is noticed.
  const listener = () => new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, keepAlive: true });
  return new PostgresLedger(new PostgresEngine(pool, location, listener));
}

/** Applies pending migrations to the database at `url`; returns how many ran. */
export async function migratePostgresLedger(url: string): Promise<number> {
  const pool = createPool(url, {});
  try {
    return await applyPostgresMigrations(pool);
  } catch (error) {
    throw asLedgerFailure(error, displayUrl(url));
  } finally {
    await pool.end().catch(() => undefined);
  }
}
