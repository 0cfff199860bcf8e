/** The PostgreSQL store's MCP tasks (see the SQLite schema). */
import { bigint, index, pgTable, text } from "drizzle-orm/pg-core";
import { orgs, toolCalls } from "./schema.js";

const money = (name: string) => bigint(name, { mode: "bigint" });
const ms = (name: string) => bigint(name, { mode: "number" });

export const tasks = pgTable(
  "tasks",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    toolCallId: text("tool_call_id")
      .notNull()
      .references(() => toolCalls.id),
    tool: text("tool").notNull(),
    state: text("state").notNull(),
    statusMessage: text("status_message"),
    ttlMs: ms("ttl_ms").notNull(),
    pollIntervalMs: ms("poll_interval_ms").notNull(),
    createdAt: ms("created_at").notNull(),
    updatedAt: ms("updated_at").notNull(),
    expiresAt: ms("expires_at").notNull(),
    resolvedAt: ms("resolved_at"),
    chargedMicroCredits: money("charged_micro_credits"),
    costNanoUsd: money("cost_nano_usd"),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
  },
  (t) => [index("tasks_org_created_idx").on(t.orgId, t.createdAt), index("tasks_call_idx").on(t.toolCallId), index("tasks_expires_idx").on(t.expiresAt)],
);
