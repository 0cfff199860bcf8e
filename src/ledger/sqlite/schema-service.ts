/**
 * The SQLite store's tables around the money: OpenRouter's price list cache,
 * the operator's prices, the health row, the server instances and the
 * providers' own usage snapshots. Re-exported by schema.ts, so drizzle-kit
 * and the row decoders see one schema.
 */
import { index, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { int, money } from "./columns.js";

/**
 * OpenRouter's model prices (USD per token, exact decimal text as /models
 * lists them), cached so worst-case holds survive a restart without network.
 */
export const modelPrices = sqliteTable("model_prices", {
  model: text("model").primaryKey(),
  /** Per token; a negative price ("-1") marks a router whose price is that of the model it picks. */
  promptUsd: text("prompt_usd").notNull(),
  completionUsd: text("completion_usd").notNull(),
  /** Per request. */
  requestUsd: text("request_usd").notNull(),
  /** Per prompt token read from or written to the provider's cache (a cache write can cost more than a prompt token). */
  inputCacheReadUsd: text("input_cache_read_usd").notNull().default("0"),
  inputCacheWriteUsd: text("input_cache_write_usd").notNull().default("0"),
  /** Per reasoning token, where it differs from a completion token. */
  internalReasoningUsd: text("internal_reasoning_usd").notNull().default("0"),
  /** Per web search the model runs itself. */
  webSearchUsd: text("web_search_usd").notNull().default("0"),
  maxCompletionTokens: int("max_completion_tokens"),
  fetchedAt: int("fetched_at").notNull(),
});

/**
 * Prices the operator gives models (`ecn-mcp rate-card price set`): a model
 * OpenRouter does not list (a variant such as `:nitro`, a private model) can
 * only be used once it has one. Where OpenRouter lists the model too, each
 * component's larger price is used, so a hold never falls below the list.
 */
export const modelPriceOverrides = sqliteTable("model_price_overrides", {
  model: text("model").primaryKey(),
  promptUsd: text("prompt_usd").notNull(),
  completionUsd: text("completion_usd").notNull(),
  requestUsd: text("request_usd").notNull(),
  note: text("note"),
  updatedAt: int("updated_at").notNull(),
});

/** One row, rewritten by every health check: proof that a durable commit to the ledger still succeeds. */
export const ledgerHealth = sqliteTable("ledger_health", {
  id: int("id").primaryKey(),
  checkedAt: int("checked_at").notNull(),
});

/**
 * Server processes, so a dead one's open calls can be told from a live one's.
 * A row is written at start, its heartbeat renewed every few seconds, and
 * deleted at a clean shutdown. pid_scope (the kernel boot and pid namespace)
 * and pid_start (the process's start in clock ticks) let a process on the
 * same machine check that the pid still names the same process.
 */
export const instances = sqliteTable("instances", {
  id: text("id").primaryKey(),
  host: text("host").notNull(),
  pid: int("pid").notNull(),
  pidScope: text("pid_scope"),
  pidStart: text("pid_start"),
  kind: text("kind").$type<"stdio" | "http">().notNull(),
  startedAt: int("started_at").notNull(),
  heartbeatAt: int("heartbeat_at").notNull(),
});

/**
 * What a provider said, at a moment, that a key had been billed in total
 * (OpenRouter's key usage, USD, all time): taken at every server start and
 * every `ecn-mcp audit-costs`, so the spend between two snapshots can be
 * compared with the ledger's costs of the same interval. Append-only.
 */
export const providerUsageSnapshots = sqliteTable(
  "provider_usage_snapshots",
  {
    id: text("id").primaryKey(),
    provider: text("provider", { enum: ["openrouter", "apify"] }).notNull(),
    /** Epoch ms just before the provider was asked. */
    takenAt: int("taken_at").notNull(),
    usageNanoUsd: money("usage_nano_usd").notNull(),
    /** server_start or audit. */
    reason: text("reason", { enum: ["server_start", "audit"] }).notNull(),
  },
  (t) => [index("provider_usage_snapshots_taken_idx").on(t.provider, t.takenAt)],
);
