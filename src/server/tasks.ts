/**
 * MCP tasks (protocol 2025-11-25, experimental), answered from the ledger:
 * a `tools/call` with a `task` param on a tool that allows it gets its task
 * at once (a CreateTaskResult) while the run goes on in this server's
 * background; tasks/get, tasks/result, tasks/list and tasks/cancel read and
 * change the task row, so any server on the same ledger answers them, for
 * the organisation the request acts for only. Another organisation's task,
 * an expired one and one that never existed get the same not-found error.
 *
 * The SDK has its own task machinery (a TaskStore the Protocol consults,
 * keyed by session); it is not used: a stateless server has no session, and
 * a task here belongs to an organisation and lives in the ledger. What this
 * relies on in the SDK is item 8 of ./sdk-internals.ts.
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CancelTaskRequestSchema,
  ErrorCode,
  GetTaskPayloadRequestSchema,
  GetTaskRequestSchema,
  ListTasksRequestSchema,
  RELATED_TASK_META_KEY,
  type CallToolResult,
  type CreateTaskResult,
  type Task,
} from "@modelcontextprotocol/sdk/types.js";
import { classifyFailure, logFailure } from "../failures.js";
import { channelFields, withLogFields } from "../log.js";
import type { TaskRecord } from "../ledger/index.js";
import type { StoredOutcome } from "../metering/stored-outcome.js";
import type { CallChannel, OrgRef } from "../metering/types.js";
import type { TaskControl, Tasks } from "../tasks/tasks.js";
import { taskStatusMessage } from "../tasks/view.js";
import type { ToolContext, ToolDefinition } from "../tools/index.js";
import { paidOutput, publishedOutput } from "../tools/tool.js";
import type { Extra, ServerDeps } from "./create-server.js";
import { ProtocolError } from "./sdk-internals.js";
import { errorResult, outputResult } from "./results.js";

const iso = (ms: number) => new Date(ms).toISOString();

/** A task as the protocol shows it. */
export function protocolTask(task: TaskRecord): Task {
  const statusMessage = taskStatusMessage(task);
  return {
    taskId: task.id,
    status: task.state,
    ...(statusMessage ? { statusMessage } : {}),
    createdAt: iso(task.createdAt),
    lastUpdatedAt: iso(task.updatedAt),
    ttl: task.ttlMs,
    pollInterval: task.pollIntervalMs,
  };
}

/** What a task's call answers: exactly what the call would have answered had the client waited for it. */
function callResultOf(outcome: Exclude<StoredOutcome, { kind: "open" }>): CallToolResult {
  if (outcome.kind === "error") return errorResult(outcome.error);
  return outputResult(publishedOutput(paidOutput(outcome.value as object, outcome.metering)));
}

/** A refusal before the task was accepted, as a JSON-RPC error whose message begins with our code. */
export function refusal(error: unknown, deps: ServerDeps, tool: string, channel?: CallChannel): ProtocolError {
  const failure = classifyFailure(error);
  logFailure(deps.logger, failure, "task refused", { tool, ...channelFields(channel) });
  if (failure.kind === "programming") return new ProtocolError(ErrorCode.InternalError, `${tool}: ${failure.publicMessage}`);
  const code = failure.error.code === "invalid_input" || failure.error.code === "idempotency_conflict" ? ErrorCode.InvalidParams : -32000;
  return new ProtocolError(code, failure.error.render(), { code: failure.error.code });
}

/** A failure while reading or changing a task (the ledger, mostly): an internal error that says what happened. */
function taskFailure(error: unknown, deps: ServerDeps, method: string): ProtocolError {
  if (error instanceof ProtocolError) return error;
  const failure = classifyFailure(error);
  logFailure(deps.logger, failure, `${method} failed`);
  if (failure.kind === "programming") return new ProtocolError(ErrorCode.InternalError, `${method}: ${failure.publicMessage}`);
  const code = failure.error.code === "invalid_input" ? ErrorCode.InvalidParams : ErrorCode.InternalError;
  return new ProtocolError(code, failure.error.render(), { code: failure.error.code });
}

const notFound = (what: string) => new ProtocolError(ErrorCode.InvalidParams, `Failed to ${what} task: Task not found`);

/**
 * The tool's context inside a task: the task's own abort (never the
 * request's, which ends as soon as the task is created), progress recorded
 * as the task's status message, and whatever the live request can still
 * carry (progress and logging notifications on a connection that lasts,
 * such as stdio) on a best-effort basis.
 */
function taskContext(live: ToolContext, control: TaskControl): ToolContext {
  return {
    org: live.org,
    channel: live.channel,
    signal: control.signal,
    notify: (level, message) => live.notify(level, message).catch(() => undefined),
    progress: async (progress, message, total) => {
      await control.progress(message ?? `${progress}${total === undefined ? "" : ` of ${total}`}`);
      await live.progress(progress, message, total).catch(() => undefined);
    },
    onCall: control.onCall,
  };
}

/** tools/call with a `task` param: the task once it exists (its hold placed), or the refusal. */
export async function callAsTask(
  deps: ServerDeps & { tasks: Tasks },
  tool: ToolDefinition,
  args: unknown,
  org: OrgRef,
  live: ToolContext,
  requestedTtlMs: number | undefined,
): Promise<CreateTaskResult> {
  try {
    const task = await deps.tasks.start({
      org,
      tool: tool.name,
      requestedTtlMs,
      // The run goes on after its request: every line written meanwhile, whoever writes it, names what it came through.
      run: (control) => {
        const run = () => tool.handler(args, taskContext(live, control), deps);
        return live.channel ? withLogFields(channelFields(live.channel), run) : run();
      },
    });
    return { task: protocolTask(task) };
  } catch (error) {
    throw refusal(error, deps, tool.name, live.channel);
  }
}

/** tasks/get, tasks/result, tasks/list and tasks/cancel, for the organisation each request acts for. */
export function registerTaskHandlers(server: Server, deps: ServerDeps & { tasks: Tasks }): void {
  const { tasks } = deps;
  const handle = <T>(method: string, extra: Extra, answer: (org: OrgRef) => Promise<T>): Promise<T> =>
    deps
      .resolveOrg(extra)
      .then(answer)
      .catch((error: unknown) => {
        throw taskFailure(error, deps, method);
      });

  server.setRequestHandler(GetTaskRequestSchema, (request, extra) =>
    handle("tasks/get", extra, async (org) => {
      const task = await tasks.get(org.id, request.params.taskId);
      if (!task) throw notFound("retrieve");
      return protocolTask(task);
    }),
  );

  server.setRequestHandler(GetTaskPayloadRequestSchema, (request, extra) =>
    handle("tasks/result", extra, async (org) => {
      const { taskId } = request.params;
      const found = await tasks.result(org.id, taskId, extra.signal);
      if (!found) throw notFound("retrieve");
      const result = callResultOf(found.outcome as Exclude<StoredOutcome, { kind: "open" }>);
      return { ...result, _meta: { ...result._meta, [RELATED_TASK_META_KEY]: { taskId } } };
    }),
  );

  server.setRequestHandler(ListTasksRequestSchema, (request, extra) =>
    handle("tasks/list", extra, async (org) => {
      const page = await tasks.list(org.id, request.params?.cursor);
      return { tasks: page.tasks.map(protocolTask), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
    }),
  );

  server.setRequestHandler(CancelTaskRequestSchema, (request, extra) =>
    handle("tasks/cancel", extra, async (org) => {
      const outcome = await tasks.cancel(org.id, request.params.taskId);
      if (outcome.kind === "not_found") throw notFound("cancel");
      if (outcome.kind === "ended") {
        throw new ProtocolError(ErrorCode.InvalidParams, `Cannot cancel task: already in terminal status '${outcome.task.state}'`);
      }
      return protocolTask(outcome.task);
    }),
  );
}
