/**
 * Ledger tables, the SQLite store's schema. Units are in the column names.
 * Money columns are SQLite integers read back as BigInt (the connection runs
 * with safe integers), so no amount ever passes through a float. The
 * PostgreSQL schema (../postgres/schema.ts) has the same tables and columns;
 * this one is the reference both stores' rows are decoded with (its column
 * mappings accept the decimal strings PostgreSQL sends for bigint too), and
 * the Ledger's record types are inferred from (../types.ts): a text column
 * whose values are narrower (a feature) says so with `$type`, which changes
 * no SQL.
 *
 * Append-only: credit_transactions, usage_events, data_query_log. Updated in
 * place: a tool call's state (and the fields that travel with it), a wallet's
 * cached balance and holds, and operator settings (rate cards, budgets, keys).
 */
import { sql } from "drizzle-orm";
import type { Feature } from "../../features.js";
import { OPEN_STATE_SQL } from "../types.js";
import { index, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { flag, int, money } from "./columns.js";

// The tables around the money (price caches, health, instances) live beside this file.
export * from "./schema-dashboard.js";
export * from "./schema-service.js";
export * from "./schema-auth.js";
export * from "./schema-tasks.js";
export * from "./schema-billing.js";

export const orgs = sqliteTable("orgs", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  createdAt: int("created_at").notNull(),
});

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    name: text("name"),
    prefix: text("prefix").notNull(),
    keyHash: text("key_hash").notNull().unique(),
    createdAt: int("created_at").notNull(),
    lastUsedAt: int("last_used_at"),
    revokedAt: int("revoked_at"),
  },
  (t) => [index("api_keys_org_idx").on(t.orgId)],
);

export const wallets = sqliteTable("wallets", {
  orgId: text("org_id")
    .primaryKey()
    .references(() => orgs.id),
  balanceMicroCredits: money("balance_micro_credits")
    .notNull()
    .default(sql`0`),
  heldMicroCredits: money("held_micro_credits")
    .notNull()
    .default(sql`0`),
  updatedAt: int("updated_at").notNull(),
  /**
   * A settle that leaves the balance below this level records a balance
   * signal (alerts, auto-recharge) in its own transaction; null when nothing
   * watches the balance. Kept by the billing scripts, never by a paid call.
   */
  watchBelowMicroCredits: money("watch_below_micro_credits"),
  /** Bumped each time the watch is re-armed: a signal is keyed by it, so one crossing signals once. */
  watchEpoch: int("watch_epoch")
    .notNull()
    .default(sql`0`),
  /** The last top-up's amount: balance alert levels are percentages of it. */
  topupMicroCredits: money("topup_micro_credits")
    .notNull()
    .default(sql`0`),
});

export const creditTransactions = sqliteTable(
  "credit_transactions",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    kind: text("kind", { enum: ["grant", "spend", "refund", "adjustment"] }).notNull(),
    amountMicroCredits: money("amount_micro_credits").notNull(),
    toolCallId: text("tool_call_id").references(() => toolCalls.id),
    note: text("note"),
    createdAt: int("created_at").notNull(),
    /** What outside payment this row answers (a Stripe session or PaymentIntent, a clawback): unique, so it is written once. */
    externalRef: text("external_ref"),
  },
  (t) => [
    uniqueIndex("credit_transactions_external_ref")
      .on(t.externalRef)
      .where(sql`external_ref IS NOT NULL`),
    index("credit_transactions_org_idx").on(t.orgId, t.createdAt),
    // Grants, refunds and adjustments of an organisation: with the daily rollup's spend, its balance over time.
    index("credit_transactions_org_other_idx")
      .on(t.orgId, t.createdAt)
      .where(sql`kind <> 'spend'`),
    // A tool call is charged at most once, whatever the code above does.
    uniqueIndex("credit_transactions_one_spend_per_call")
      .on(t.toolCallId)
      .where(sql`kind = 'spend'`),
  ],
);

export const toolCalls = sqliteTable(
  "tool_calls",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    feature: text("feature").$type<Feature>().notNull(),
    provider: text("provider", { enum: ["openrouter", "apify"] }).notNull(),
    state: text("state", { enum: ["held", "dispatched", "settled", "voided", "unknown"] }).notNull(),
    deploymentMode: text("deployment_mode", { enum: ["hosted", "self_host"] }).notNull(),
    /** What the call reserves against budgets while open. */
    holdMicroCredits: money("hold_micro_credits").notNull(),
    /** What the call reserves on the wallet while open (0 in self_host mode). */
    walletHoldMicroCredits: money("wallet_hold_micro_credits").notNull(),
    idempotencyKey: text("idempotency_key"),
    requestHash: text("request_hash").notNull(),
    /** Pricing in force when the hold was placed, so a later reconcile charges what the caller was quoted. */
    markup: text("markup"),
    creditUsdValue: text("credit_usd_value"),
    /** JSON array of provider references (OpenRouter generation ids, Apify run ids), stored as soon as known. */
    providerRefs: text("provider_refs").notNull().default("[]"),
    /** The provider-derived result, kept so an idempotent replay returns it. */
    resultJson: text("result_json"),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    createdAt: int("created_at").notNull(),
    dispatchedAt: int("dispatched_at"),
    resolvedAt: int("resolved_at"),
    /** The server instance that placed the hold and resolves the call while it lives (null: a call from before instances). */
    ownerInstanceId: text("owner_instance_id"),
    /** What the call came through: an app's connection (OAuth), or an API key; both null over stdio. */
    connectionId: text("connection_id"),
    apiKeyId: text("api_key_id"),
  },
  (t) => [
    uniqueIndex("tool_calls_idempotency")
      .on(t.orgId, t.idempotencyKey)
      .where(sql`idempotency_key IS NOT NULL AND state <> 'voided'`),
    index("tool_calls_open_idx").on(t.orgId, t.feature).where(sql.raw(OPEN_STATE_SQL)),
    index("tool_calls_org_created_idx").on(t.orgId, t.createdAt),
    // A connection's open holds, for its daily cap: a handful of rows however long its history.
    index("tool_calls_open_connection_idx")
      .on(t.connectionId)
      .where(sql.raw(`connection_id IS NOT NULL AND ${OPEN_STATE_SQL}`)),
  ],
);

export const usageEvents = sqliteTable(
  "usage_events",
  {
    id: text("id").primaryKey(),
    toolCallId: text("tool_call_id")
      .notNull()
      .references(() => toolCalls.id),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    feature: text("feature").$type<Feature>().notNull(),
    provider: text("provider", { enum: ["openrouter", "apify"] }).notNull(),
    model: text("model"),
    providerRequestId: text("provider_request_id"),
    /** ok: the provider did the work; failed: it answered with an error. */
    outcome: text("outcome", { enum: ["ok", "failed"] }).notNull(),
    promptTokens: int("prompt_tokens"),
    completionTokens: int("completion_tokens"),
    totalTokens: int("total_tokens"),
    costNanoUsd: money("cost_nano_usd").notNull(),
    /** Where cost_nano_usd came from: the response, the provider's lookup endpoint, or the hold (estimated). */
    costSource: text("cost_source", { enum: ["reported", "lookup", "estimated", "none"] }).notNull(),
    markup: text("markup").notNull(),
    creditUsdValue: text("credit_usd_value").notNull(),
    chargedMicroCredits: money("charged_micro_credits").notNull(),
    /** What the event counts against budgets: the charge, or in self_host mode the cost at markup 1. */
    meteredMicroCredits: money("metered_micro_credits").notNull(),
    overHold: flag("over_hold").notNull().default(false),
    estimated: flag("estimated").notNull().default(false),
    /** The model's price was unknown when the hold was placed, so the hold was only the rate card floor. */
    priceUnknown: flag("price_unknown").notNull().default(false),
    /** Charged below cost x its own markup (or below cost), exactly: charged x credit value < cost x max(markup, 1). */
    belowMarkup: flag("below_markup").notNull().default(false),
    createdAt: int("created_at").notNull(),
    settledAt: int("settled_at").notNull(),
    /** The connection or API key its call came through (as on tool_calls). */
    connectionId: text("connection_id"),
    apiKeyId: text("api_key_id"),
  },
  (t) => [
    index("usage_events_settled_idx").on(t.settledAt),
    index("usage_events_org_settled_idx").on(t.orgId, t.settledAt),
    index("usage_events_org_feature_settled_idx").on(t.orgId, t.feature, t.settledAt),
    index("usage_events_call_idx").on(t.toolCallId),
    index("usage_events_provider_created_idx").on(t.provider, t.createdAt),
  ],
);

export const dataQueryLog = sqliteTable(
  "data_query_log",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    source: text("source").notNull(),
    dataset: text("dataset").notNull(),
    query: text("query").notNull(),
    rowCount: int("row_count").notNull(),
    createdAt: int("created_at").notNull(),
  },
  (t) => [index("data_query_log_org_idx").on(t.orgId, t.createdAt)],
);

export const rateCards = sqliteTable("rate_cards", {
  feature: text("feature").$type<Feature>().primaryKey(),
  provider: text("provider", { enum: ["openrouter", "apify"] }).notNull(),
  model: text("model"),
  maxTokens: int("max_tokens"),
  floorMicroCredits: money("floor_micro_credits").notNull(),
  description: text("description").notNull(),
  updatedAt: int("updated_at").notNull(),
});

export const budgets = sqliteTable(
  "budgets",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    /** null: the budget covers every feature of the organisation. */
    feature: text("feature").$type<Feature>(),
    period: text("period", { enum: ["day", "month", "total"] }).notNull(),
    limitMicroCredits: money("limit_micro_credits").notNull(),
    hard: flag("hard").notNull(),
    createdAt: int("created_at").notNull(),
    updatedAt: int("updated_at").notNull(),
  },
  (t) => [index("budgets_org_idx").on(t.orgId)],
);

/** One row per soft budget and period once it was crossed, so the warning goes out once. */
export const budgetNotices = sqliteTable(
  "budget_notices",
  {
    budgetId: text("budget_id")
      .notNull()
      .references(() => budgets.id),
    periodStart: int("period_start").notNull(),
    createdAt: int("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.budgetId, t.periodStart] })],
);

/**
 * Usage rolled up per organisation, feature, UTC day, deployment mode and the
 * pricing the events were charged at (markup, credit value),
 * written in the same transaction as the events it sums (like a wallet's
 * cached balance). Budgets, usage totals and margins read these few rows
 * instead of scanning every event, so their cost does not grow with history.
 */
export const usageDaily = sqliteTable(
  "usage_daily",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    feature: text("feature").$type<Feature>().notNull(),
    /** Epoch ms of the UTC midnight the events settled on. */
    day: int("day").notNull(),
    deploymentMode: text("deployment_mode", { enum: ["hosted", "self_host"] }).notNull(),
    /** The events' own markup and credit value (decimal text, as on usage_events). */
    markup: text("markup").notNull(),
    creditUsdValue: text("credit_usd_value").notNull(),
    calls: int("calls").notNull(),
    events: int("events").notNull(),
    costNanoUsd: money("cost_nano_usd").notNull(),
    chargedMicroCredits: money("charged_micro_credits").notNull(),
    meteredMicroCredits: money("metered_micro_credits").notNull(),
    estimatedEvents: int("estimated_events").notNull(),
    overHoldEvents: int("over_hold_events").notNull(),
    belowMarkupEvents: int("below_markup_events").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day, t.feature, t.deploymentMode, t.markup, t.creditUsdValue] })],
);
