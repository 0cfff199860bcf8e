/**
 * The SQLite store's MCP tasks: a paid tool call run in the background for
 * a client that asked for a task, so the run outlives the request. A task
 * belongs to one organisation and follows one tool call: its state becomes
 * completed or failed in the same transaction that settles or voids the
 * call, so a task never says less than the ledger. Re-exported by schema.ts,
 * so drizzle-kit and the row decoders see one schema.
 */
import { index, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { int, money } from "./columns.js";
import { orgs, toolCalls } from "./schema.js";

export const tasks = sqliteTable(
  "tasks",
  {
    /** Random (not guessable): with the organisation, what a client names the task by. */
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    toolCallId: text("tool_call_id")
      .notNull()
      .references(() => toolCalls.id),
    /** The MCP tool the task runs. */
    tool: text("tool").notNull(),
    state: text("state", { enum: ["working", "input_required", "completed", "failed", "cancelled"] }).notNull(),
    /** Progress while it works (pages so far), why it was cancelled. */
    statusMessage: text("status_message"),
    /** How long it is kept once it has ended, as the client was told. */
    ttlMs: int("ttl_ms").notNull(),
    pollIntervalMs: int("poll_interval_ms").notNull(),
    createdAt: int("created_at").notNull(),
    updatedAt: int("updated_at").notNull(),
    /** When it may be deleted: ttl after its creation, pushed to ttl after its end when its call resolves. */
    expiresAt: int("expires_at").notNull(),
    /** When its call was settled or voided: its outcome (charge, error) is known from then on. */
    resolvedAt: int("resolved_at"),
    chargedMicroCredits: money("charged_micro_credits"),
    costNanoUsd: money("cost_nano_usd"),
    /** The call's error, when it ended in one (its result, when it succeeded, is the call's result_json). */
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
  },
  (t) => [index("tasks_org_created_idx").on(t.orgId, t.createdAt), index("tasks_call_idx").on(t.toolCallId), index("tasks_expires_idx").on(t.expiresAt)],
);
