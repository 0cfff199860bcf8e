/**
 * The PostgreSQL store's tables around the money (see ../sqlite/schema-service.ts):
 * price list cache, the operator's prices, the health row, server instances,
 * the providers' own usage snapshots.
 */
import { bigint, index, integer, pgTable, text } from "drizzle-orm/pg-core";

/** Epoch milliseconds: beyond 32 bits, within a double's exact range. */
const ms = (name: string) => bigint(name, { mode: "number" });

export const modelPrices = pgTable("model_prices", {
  model: text("model").primaryKey(),
  promptUsd: text("prompt_usd").notNull(),
  completionUsd: text("completion_usd").notNull(),
  requestUsd: text("request_usd").notNull(),
  inputCacheReadUsd: text("input_cache_read_usd").notNull().default("0"),
  inputCacheWriteUsd: text("input_cache_write_usd").notNull().default("0"),
  internalReasoningUsd: text("internal_reasoning_usd").notNull().default("0"),
  webSearchUsd: text("web_search_usd").notNull().default("0"),
  maxCompletionTokens: integer("max_completion_tokens"),
  fetchedAt: ms("fetched_at").notNull(),
});

export const modelPriceOverrides = pgTable("model_price_overrides", {
  model: text("model").primaryKey(),
  promptUsd: text("prompt_usd").notNull(),
  completionUsd: text("completion_usd").notNull(),
  requestUsd: text("request_usd").notNull(),
  note: text("note"),
  updatedAt: ms("updated_at").notNull(),
});

export const ledgerHealth = pgTable("ledger_health", {
  id: integer("id").primaryKey(),
  checkedAt: ms("checked_at").notNull(),
});

/** Server processes and their heartbeats (see the SQLite schema). */
export const instances = pgTable("instances", {
  id: text("id").primaryKey(),
  host: text("host").notNull(),
  pid: integer("pid").notNull(),
  pidScope: text("pid_scope"),
  pidStart: text("pid_start"),
  kind: text("kind").notNull(),
  startedAt: ms("started_at").notNull(),
  heartbeatAt: ms("heartbeat_at").notNull(),
});

/** What a provider said a key had been billed in total, at a moment (see the SQLite schema). */
export const providerUsageSnapshots = pgTable(
  "provider_usage_snapshots",
  {
    id: text("id").primaryKey(),
    provider: text("provider").notNull(),
    takenAt: ms("taken_at").notNull(),
    usageNanoUsd: bigint("usage_nano_usd", { mode: "bigint" }).notNull(),
    reason: text("reason").notNull(),
  },
  (t) => [index("provider_usage_snapshots_taken_idx").on(t.provider, t.takenAt)],
);
