/**
 * The SQLite store's tables for the dashboard: the daily rollups of spend per
 * model and of refusals, sign-in sessions and reconcile outcomes.
 * Re-exported by schema.ts, so drizzle-kit and the row decoders see one schema.
 */
import { index, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { Feature, PaidProvider } from "../../features.js";
import { int, money } from "./columns.js";
import { orgs } from "./schema.js";

/**
 * Spend per model (or Apify actor) per UTC day, kept current at settle like
 * usage_daily, so "spend by model" reads days, not events.
 */
export const usageModelDaily = sqliteTable(
  "usage_model_daily",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    day: int("day").notNull(),
    provider: text("provider").$type<PaidProvider>().notNull(),
    /** The model or actor the provider reported; '' when it named none. */
    model: text("model").notNull(),
    events: int("events").notNull(),
    costNanoUsd: money("cost_nano_usd").notNull(),
    chargedMicroCredits: money("charged_micro_credits").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day, t.provider, t.model] })],
);

/** Paid calls refused before any provider request, counted per UTC day: refusals leave no other trace. */
export const refusalsDaily = sqliteTable(
  "refusals_daily",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    day: int("day").notNull(),
    feature: text("feature").$type<Feature>().notNull(),
    code: text("code").$type<"insufficient_credits" | "budget_exceeded">().notNull(),
    refusals: int("refusals").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day, t.feature, t.code] })],
);

/**
 * Dashboard sign-ins. The cookie holds a random session id; only its hash is
 * stored, with who signed in: the operator (no org) or an API key's org. A
 * revoked key ends its sessions at the next request; a changed or unset
 * operator token ends the operator's.
 */
export const dashboardSessions = sqliteTable("dashboard_sessions", {
  idHash: text("id_hash").primaryKey(),
  orgId: text("org_id").references(() => orgs.id),
  keyId: text("key_id"),
  /**
   * An operator session only: a keyed hash (HMAC-SHA256, keyed by the session id the cookie holds)
   * of the credential that opened it. Checked on every request against the server's own
   * ECN_ADMIN_TOKEN, so the session dies when the token changes or is unset.
   */
  operatorBinding: text("operator_binding"),
  createdAt: int("created_at").notNull(),
  expiresAt: int("expires_at").notNull(),
});

/** What each reconcile (a server's sweep or the command) did, for the dashboard's ledger health. */
export const reconcileRuns = sqliteTable(
  "reconcile_runs",
  {
    id: text("id").primaryKey(),
    source: text("source").$type<"sweep" | "command">().notNull(),
    instanceId: text("instance_id"),
    finishedAt: int("finished_at").notNull(),
    /** Counts per outcome, as JSON. */
    summaryJson: text("summary_json").notNull(),
  },
  (t) => [index("reconcile_runs_finished_idx").on(t.finishedAt)],
);
