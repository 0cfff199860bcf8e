/**
 * MCP tasks, once for both stores. A task follows one tool call: it is
 * written right after the call's hold, and becomes completed or failed in
 * the transaction that settles or voids the call (`finishTasksOfCall`, run
 * by calls.ts), whoever resolves it: the server that ran it, another
 * server's orphan sweep, `ecn-mcp reconcile`, or an outcome spool's replay.
 * So a task can never claim an outcome the ledger does not hold.
 *
 * Lock order, as everywhere: the call's row first (creating a task locks it,
 * so a settle cannot slip between reading the call and writing the task),
 * then the task's rows, then the organisation's busy rows.
 */
import { LedgerRefusal } from "../errors.js";
import { toCall, toTask } from "../rows.js";
import { all, get, run, type Script } from "../script.js";
import { asBigInt, idempotentStatement, p, statement } from "../sql.js";
import type { TaskInput, TaskQuery, TaskRecord } from "../task-types.js";

const WORKING = "state IN ('working', 'input_required')";
/** A task is shown until its call is resolved and its time to be kept is over. */
const VISIBLE = "(t.resolved_at IS NULL OR t.expires_at > @now)";
const SELECT = "SELECT t.*, c.state AS call_state FROM tasks t JOIN tool_calls c ON c.id = t.tool_call_id";

const lockCall = statement("task_lock_call", "SELECT * FROM tool_calls WHERE id = @id", { id: p.text }, toCall, { forUpdate: true });
const chargeOfCall = statement(
  "task_charge_of_call",
  `SELECT coalesce(sum(charged_micro_credits), 0) AS charged, coalesce(sum(cost_nano_usd), 0) AS cost
     FROM usage_events WHERE tool_call_id = @id`,
  { id: p.text },
  (row) => ({ charged: asBigInt(row.charged), cost: asBigInt(row.cost) }),
);
const insertTask = statement(
  "insert_task",
  `INSERT INTO tasks (id, org_id, tool_call_id, tool, state, status_message, ttl_ms, poll_interval_ms, created_at, updated_at,
     expires_at, resolved_at, charged_micro_credits, cost_nano_usd, error_code, error_message)
   VALUES (@id, @orgId, @callId, @tool, @state, @message, @ttlMs, @pollMs, @now, @now, @expiresAt, @resolvedAt, @charged, @cost,
     @code, @errorMessage)`,
  {
    id: p.text,
    orgId: p.text,
    callId: p.text,
    tool: p.text,
    state: p.text,
    message: p.textOrNull,
    ttlMs: p.int,
    pollMs: p.int,
    now: p.int,
    expiresAt: p.int,
    resolvedAt: p.intOrNull,
    charged: p.moneyOrNull,
    cost: p.moneyOrNull,
    code: p.textOrNull,
    errorMessage: p.textOrNull,
  },
);
const taskById = statement("task_by_id", `${SELECT} WHERE t.id = @id AND t.org_id = @orgId AND ${VISIBLE}`, { id: p.text, orgId: p.text, now: p.int }, toTask);
const tasksOfOrg = statement(
  "tasks_of_org",
  `${SELECT} WHERE t.org_id = @orgId AND ${VISIBLE} AND (@openOnly = 0 OR t.resolved_at IS NULL)
      AND (t.created_at < @afterAt OR (t.created_at = @afterAt AND t.id < @afterId))
    ORDER BY t.created_at DESC, t.id DESC LIMIT @limit`,
  { orgId: p.text, now: p.int, openOnly: p.flag, afterAt: p.int, afterId: p.text, limit: p.int },
  toTask,
);
/** Sets values given in full, on a task still working: sent again, it changes nothing more (and a task cancelled meanwhile counts 0, as it should). */
export const noteProgressSql = idempotentStatement(
  "task_note_progress",
  `UPDATE tasks SET status_message = @message, updated_at = @now WHERE id = @id AND ${WORKING}`,
  { message: p.text, now: p.int, id: p.text },
);
const cancelSql = statement(
  "task_cancel",
  `UPDATE tasks SET state = 'cancelled', status_message = @message, updated_at = @now WHERE id = @id AND org_id = @orgId AND ${WORKING}`,
  { message: p.text, now: p.int, id: p.text, orgId: p.text },
);
/** A delete: sent again, it deletes nothing more (its count is only logged). */
export const deleteExpiredSql = idempotentStatement("tasks_delete_expired", "DELETE FROM tasks WHERE resolved_at IS NOT NULL AND expires_at <= @now", {
  now: p.int,
});

/**
 * The outcome of a call, on its tasks, in the transaction that resolves it:
 * working -> completed (a result) or failed (an error; a cancelled task
 * stays cancelled), with the charge and the error, and kept for its TTL
 * from now on (never less than from its creation).
 */
export const finishTasksOfCall = statement(
  "finish_tasks_of_call",
  `UPDATE tasks SET state = CASE WHEN ${WORKING} THEN @state ELSE state END,
     resolved_at = @now, updated_at = @now, charged_micro_credits = @charged, cost_nano_usd = @cost,
     error_code = @code, error_message = @message,
     expires_at = CASE WHEN expires_at > @now + ttl_ms THEN expires_at ELSE @now + ttl_ms END
   WHERE tool_call_id = @callId`,
  { state: p.text, now: p.int, charged: p.money, cost: p.money, code: p.textOrNull, message: p.textOrNull, callId: p.text },
);

export function* createTask(input: TaskInput): Script<TaskRecord> {
  const call = yield* get(lockCall, { id: input.toolCallId });
  if (!call || call.orgId !== input.orgId) throw new LedgerRefusal("not_found", `no tool call ${input.toolCallId} of organisation ${input.orgId}`);
  const resolved = call.state === "settled" || call.state === "voided";
  const charge = resolved ? yield* get(chargeOfCall, { id: call.id }) : undefined;
  yield* run(insertTask, {
    id: input.id,
    orgId: input.orgId,
    callId: call.id,
    tool: input.tool,
    state: !resolved ? "working" : call.state === "settled" && call.errorCode === null ? "completed" : "failed",
    message: input.statusMessage,
    ttlMs: input.ttlMs,
    pollMs: input.pollIntervalMs,
    now: input.now,
    expiresAt: input.now + input.ttlMs,
    resolvedAt: resolved ? (call.resolvedAt ?? input.now) : null,
    charged: charge?.charged ?? null,
    cost: charge?.cost ?? null,
    code: resolved ? call.errorCode : null,
    errorMessage: resolved ? call.errorMessage : null,
  });
  return (yield* get(taskById, { id: input.id, orgId: input.orgId, now: input.now }))!;
}

export function getTask(orgId: string, taskId: string, now: number): Script<TaskRecord | undefined> {
  return get(taskById, { id: taskId, orgId, now });
}

export function listTasks(query: TaskQuery): Script<TaskRecord[]> {
  return all(tasksOfOrg, {
    orgId: query.orgId,
    now: query.now,
    openOnly: query.openOnly ? 1 : 0,
    afterAt: query.after?.createdAt ?? Number.MAX_SAFE_INTEGER,
    afterId: query.after?.id ?? "",
    limit: query.limit,
  });
}

export function* cancelTask(orgId: string, taskId: string, message: string, now: number): Script<TaskRecord | null> {
  if ((yield* run(cancelSql, { id: taskId, orgId, message, now })) === 0) return null;
  return (yield* get(taskById, { id: taskId, orgId, now })) ?? null;
}
