/**
 * PostgreSQL only: the HTTP rate limit's counters, one row per API key or
 * organisation and window, shared by every instance on the database (SQLite
 * servers count in their own process, see ../rate-limits.ts). Written by
 * rate-limiter-flexible's RateLimiterPostgres, which inserts the columns in
 * this order; created here, by our migrations, rather than by the library at
 * run time. Not part of the ledger: `ledger copy` and the schema parity test
 * leave it out, and its rows expire within minutes.
 */
import { bigint, integer, pgTable, varchar } from "drizzle-orm/pg-core";

export const rateLimits = pgTable("rate_limits", {
  key: varchar("key", { length: 255 }).primaryKey(),
  points: integer("points").notNull().default(0),
  /** When the window ends, epoch milliseconds. */
  expire: bigint("expire", { mode: "number" }),
});
