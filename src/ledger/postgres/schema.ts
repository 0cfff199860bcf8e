/**
 * The PostgreSQL store's schema: the same tables, columns, units and indexes
 * as the SQLite schema (../sqlite/schema.ts), so one copy of every query
 * serves both. Money is `bigint` (read as BigInt, never as a JS number),
 * epoch milliseconds are `bigint`, counts and tokens `integer`, and flags
 * stay 0/1 integers as in SQLite, so the same SQL reads them. A test checks
 * that the two schemas name the same tables and columns.
 */
import { sql } from "drizzle-orm";
import { OPEN_STATE_SQL } from "../types.js";
import { bigint, index, integer, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";

// The tables around the money (price caches, health, instances) live beside this file.
export * from "./schema-dashboard.js";
export * from "./schema-service.js";
export * from "./schema-auth.js";
export * from "./schema-tasks.js";
export * from "./schema-billing.js";

const money = (name: string) => bigint(name, { mode: "bigint" });
/** Epoch milliseconds: beyond 32 bits, within a double's exact range. */
const ms = (name: string) => bigint(name, { mode: "number" });
const flag = (name: string) => integer(name);

export const orgs = pgTable("orgs", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  createdAt: ms("created_at").notNull(),
});

export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    name: text("name"),
    prefix: text("prefix").notNull(),
    keyHash: text("key_hash").notNull().unique(),
    createdAt: ms("created_at").notNull(),
    lastUsedAt: ms("last_used_at"),
    revokedAt: ms("revoked_at"),
  },
  (t) => [index("api_keys_org_idx").on(t.orgId)],
);

export const wallets = pgTable("wallets", {
  orgId: text("org_id")
    .primaryKey()
    .references(() => orgs.id),
  balanceMicroCredits: money("balance_micro_credits")
    .notNull()
    .default(sql`0`),
  heldMicroCredits: money("held_micro_credits")
    .notNull()
    .default(sql`0`),
  updatedAt: ms("updated_at").notNull(),
  watchBelowMicroCredits: money("watch_below_micro_credits"),
  watchEpoch: integer("watch_epoch")
    .notNull()
    .default(sql`0`),
  topupMicroCredits: money("topup_micro_credits")
    .notNull()
    .default(sql`0`),
});

export const creditTransactions = pgTable(
  "credit_transactions",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    kind: text("kind").notNull(),
    amountMicroCredits: money("amount_micro_credits").notNull(),
    toolCallId: text("tool_call_id").references(() => toolCalls.id),
    note: text("note"),
    createdAt: ms("created_at").notNull(),
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
    uniqueIndex("credit_transactions_one_spend_per_call")
      .on(t.toolCallId)
      .where(sql`kind = 'spend'`),
  ],
);

export const toolCalls = pgTable(
  "tool_calls",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    feature: text("feature").notNull(),
    provider: text("provider").notNull(),
    state: text("state").notNull(),
    deploymentMode: text("deployment_mode").notNull(),
    holdMicroCredits: money("hold_micro_credits").notNull(),
    walletHoldMicroCredits: money("wallet_hold_micro_credits").notNull(),
    idempotencyKey: text("idempotency_key"),
    requestHash: text("request_hash").notNull(),
    markup: text("markup"),
    creditUsdValue: text("credit_usd_value"),
    providerRefs: text("provider_refs").notNull().default("[]"),
    resultJson: text("result_json"),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    createdAt: ms("created_at").notNull(),
    dispatchedAt: ms("dispatched_at"),
    resolvedAt: ms("resolved_at"),
    ownerInstanceId: text("owner_instance_id"),
    connectionId: text("connection_id"),
    apiKeyId: text("api_key_id"),
  },
  (t) => [
    uniqueIndex("tool_calls_idempotency")
      .on(t.orgId, t.idempotencyKey)
      .where(sql`idempotency_key IS NOT NULL AND state <> 'voided'`),
    index("tool_calls_open_idx").on(t.orgId, t.feature).where(sql.raw(OPEN_STATE_SQL)),
    index("tool_calls_org_created_idx").on(t.orgId, t.createdAt),
    index("tool_calls_open_connection_idx")
      .on(t.connectionId)
      .where(sql.raw(`connection_id IS NOT NULL AND ${OPEN_STATE_SQL}`)),
  ],
);

export const usageEvents = pgTable(
  "usage_events",
  {
    id: text("id").primaryKey(),
    toolCallId: text("tool_call_id")
      .notNull()
      .references(() => toolCalls.id),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    feature: text("feature").notNull(),
    provider: text("provider").notNull(),
    model: text("model"),
    providerRequestId: text("provider_request_id"),
    outcome: text("outcome").notNull(),
    promptTokens: integer("prompt_tokens"),
    completionTokens: integer("completion_tokens"),
    totalTokens: integer("total_tokens"),
    costNanoUsd: money("cost_nano_usd").notNull(),
    costSource: text("cost_source").notNull(),
    markup: text("markup").notNull(),
    creditUsdValue: text("credit_usd_value").notNull(),
    chargedMicroCredits: money("charged_micro_credits").notNull(),
    meteredMicroCredits: money("metered_micro_credits").notNull(),
    overHold: flag("over_hold").notNull().default(0),
    estimated: flag("estimated").notNull().default(0),
    priceUnknown: flag("price_unknown").notNull().default(0),
    belowMarkup: flag("below_markup").notNull().default(0),
    createdAt: ms("created_at").notNull(),
    settledAt: ms("settled_at").notNull(),
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

export const dataQueryLog = pgTable(
  "data_query_log",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    source: text("source").notNull(),
    dataset: text("dataset").notNull(),
    query: text("query").notNull(),
    rowCount: integer("row_count").notNull(),
    createdAt: ms("created_at").notNull(),
  },
  (t) => [index("data_query_log_org_idx").on(t.orgId, t.createdAt)],
);

export const rateCards = pgTable("rate_cards", {
  feature: text("feature").primaryKey(),
  provider: text("provider").notNull(),
  model: text("model"),
  maxTokens: integer("max_tokens"),
  floorMicroCredits: money("floor_micro_credits").notNull(),
  description: text("description").notNull(),
  updatedAt: ms("updated_at").notNull(),
});

export const budgets = pgTable(
  "budgets",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    feature: text("feature"),
    period: text("period").notNull(),
    limitMicroCredits: money("limit_micro_credits").notNull(),
    hard: flag("hard").notNull(),
    createdAt: ms("created_at").notNull(),
    updatedAt: ms("updated_at").notNull(),
  },
  (t) => [index("budgets_org_idx").on(t.orgId)],
);

export const budgetNotices = pgTable(
  "budget_notices",
  {
    budgetId: text("budget_id")
      .notNull()
      .references(() => budgets.id),
    periodStart: ms("period_start").notNull(),
    createdAt: ms("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.budgetId, t.periodStart] })],
);

export const usageDaily = pgTable(
  "usage_daily",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    feature: text("feature").notNull(),
    day: ms("day").notNull(),
    deploymentMode: text("deployment_mode").notNull(),
    markup: text("markup").notNull(),
    creditUsdValue: text("credit_usd_value").notNull(),
    calls: integer("calls").notNull(),
    events: integer("events").notNull(),
    costNanoUsd: money("cost_nano_usd").notNull(),
    chargedMicroCredits: money("charged_micro_credits").notNull(),
    meteredMicroCredits: money("metered_micro_credits").notNull(),
    estimatedEvents: integer("estimated_events").notNull(),
    overHoldEvents: integer("over_hold_events").notNull(),
    belowMarkupEvents: integer("below_markup_events").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day, t.feature, t.deploymentMode, t.markup, t.creditUsdValue] })],
);
