/**
 * Where the HTTP rate limit keeps its counters, decided by the store: on
 * PostgreSQL in the shared database (the `rate_limits` table, through this
 * process's pool), so every instance on it counts against the same
 * allowance; on SQLite in this process's memory, as one SQLite server is one
 * process. The counting itself is rate-limiter-flexible's (a fixed window per
 * key: one upsert that adds the request and says what the window holds).
 */
import { RateLimiterMemory, RateLimiterPostgres, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Engine } from "./engine.js";
import type { PostgresEngine } from "./postgres/engine.js";

export interface RateCounterOptions {
  /** Requests allowed per window. */
  points: number;
  windowSeconds: number;
  /** Names the counted thing in the stored key (`key`, `org`), so one table serves every counter. */
  prefix: string;
}

/**
 * A counter in this process's memory: for SQLite, and as the stand-in a
 * server counts with while the shared one cannot be reached.
 */
export function memoryRateCounter(options: RateCounterOptions): RateLimiterAbstract {
  return new RateLimiterMemory({ points: options.points, duration: options.windowSeconds, keyPrefix: options.prefix });
}

/** The counter this store keeps: shared by every instance on PostgreSQL, in this process on SQLite. */
export function rateCounter(ledger: { engine: Engine }, options: RateCounterOptions): RateLimiterAbstract {
  if (ledger.engine.dialect !== "postgres") return memoryRateCounter(options);
  return new RateLimiterPostgres({
    storeClient: (ledger.engine as PostgresEngine).pool,
    storeType: "pool",
    tableName: "rate_limits",
    // Created by the migrations (a table the library would create at run time needs DDL rights, and no migration would know it).
    tableCreated: true,
    points: options.points,
    duration: options.windowSeconds,
    keyPrefix: options.prefix,
    // A key over its allowance is refused from memory until its window ends: a flood of refused requests costs the database nothing.
    inMemoryBlockOnConsumed: options.points + 1,
  });
}
