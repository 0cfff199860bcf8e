/** The PostgreSQL store's tables for the dashboard (see the SQLite schema). */
import { bigint, index, integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { orgs } from "./schema.js";

const money = (name: string) => bigint(name, { mode: "bigint" });
const ms = (name: string) => bigint(name, { mode: "number" });

/** Spend per model or actor per UTC day (see the SQLite schema). */
export const usageModelDaily = pgTable(
  "usage_model_daily",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    day: ms("day").notNull(),
    provider: text("provider").notNull(),
    model: text("model").notNull(),
    events: integer("events").notNull(),
    costNanoUsd: money("cost_nano_usd").notNull(),
    chargedMicroCredits: money("charged_micro_credits").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day, t.provider, t.model] })],
);

/** Refused paid calls per UTC day (see the SQLite schema). */
export const refusalsDaily = pgTable(
  "refusals_daily",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    day: ms("day").notNull(),
    feature: text("feature").notNull(),
    code: text("code").notNull(),
    refusals: integer("refusals").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day, t.feature, t.code] })],
);

/** Dashboard sign-ins (see the SQLite schema). */
export const dashboardSessions = pgTable("dashboard_sessions", {
  idHash: text("id_hash").primaryKey(),
  orgId: text("org_id").references(() => orgs.id),
  keyId: text("key_id"),
  operatorBinding: text("operator_binding"),
  createdAt: ms("created_at").notNull(),
  expiresAt: ms("expires_at").notNull(),
});

/** Reconcile outcomes (see the SQLite schema). */
export const reconcileRuns = pgTable(
  "reconcile_runs",
  {
    id: text("id").primaryKey(),
    source: text("source").notNull(),
    instanceId: text("instance_id"),
    finishedAt: ms("finished_at").notNull(),
    summaryJson: text("summary_json").notNull(),
  },
  (t) => [index("reconcile_runs_finished_idx").on(t.finishedAt)],
);
