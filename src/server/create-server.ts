/**
 * createServer(deps) -> an MCP server with every tool registered.
 *
 * Built on the SDK's low-level Server rather than McpServer because of the
 * error contract: a refused call is an `isError` result whose text begins
 * with our code (`invalid_input: ...`). McpServer validates
 * arguments itself and answers with its own wording, so we validate here with
 * the same zod schemas we publish.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  type CallToolResult,
  type CreateTaskResult,
  type LoggingLevel,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { EcnError } from "../errors.js";
import { channelFields, type Logger } from "../log.js";
import { cancellation, classifyFailure, logFailure } from "../failures.js";
import type { CallChannel, OrgRef } from "../metering/types.js";
import { TOOLS, type ToolContext, type ToolDefinition, type ToolDeps } from "../tools/index.js";
import { publishedOutput } from "../tools/tool.js";
import type { Tasks } from "../tasks/tasks.js";
import type { Tracing } from "../telemetry/tracing.js";
import { answerInvalidParams, isMessageIgnored, ProtocolError, RawArguments } from "./sdk-internals.js";
import { errorResult, invalidInput, outputResult } from "./results.js";
import { INSTRUCTIONS, SERVER_INFO, serverCapabilities } from "./server-info.js";
import { callAsTask, refusal, registerTaskHandlers } from "./tasks.js";
import { traceRequests, type TraceOptions } from "./trace-requests.js";
import { SERVER_NAME, SERVER_VERSION } from "./version.js";

export { SERVER_NAME, SERVER_VERSION };

export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export interface ServerDeps extends ToolDeps {
  logger: Logger;
  /** The organisation a request acts for (stdio: ECN_ORG; HTTP: the API key's). */
  resolveOrg: (extra: Extra) => Promise<OrgRef>;
  /** The connection or API key a request came through (HTTP mode). */
  resolveChannel?: (extra: Extra) => CallChannel | undefined;
  tools?: ToolDefinition[];
  /** Told about every tool call, for metrics: a refused or failed one with its error code. */
  onToolCall?: (tool: string, outcome: "ok" | "error", seconds: number, code?: string) => void;
  /** With tracing on: every MCP request is a span. */
  tracing?: Tracing | undefined;
  /** Who is connected when no API key or OAuth connection says it (the stdio server's instance), for the spans. */
  connectionId?: string | undefined;
  /** MCP tasks: without them the server declares no task capability. */
  tasks?: Tasks | undefined;
}

export { errorResult, invalidInput };

function contextFor(server: EcnServer, org: OrgRef, channel: CallChannel | undefined, extra: Extra): ToolContext {
  const progressToken = extra._meta?.progressToken;
  // Each progress notification must carry a larger value than the last: a report of no progress is not sent.
  let lastProgress = -Infinity;
  return {
    org,
    channel,
    signal: extra.signal,
    notify: async (level, message) => {
      if (server.ignores(level, extra.sessionId)) return; // the client's logging/setLevel
      await extra.sendNotification({ method: "notifications/message", params: { level, logger: SERVER_NAME, data: message } });
    },
    progress: async (progress, message, total) => {
      if (progressToken === undefined || !(progress > lastProgress)) return;
      lastProgress = progress;
      await extra.sendNotification({
        method: "notifications/progress",
        params: { progressToken, progress, ...(total !== undefined ? { total } : {}), ...(message ? { message } : {}) },
      });
    },
  };
}

/**
 * A tool schema as published: JSON Schema 2020-12, the dialect MCP assumes
 * when a schema names none, so `$schema` is left out (a client whose
 * validator knows only draft-07 reads these schemas the same way: they use
 * no keyword the two dialects disagree on).
 */
export function publishedSchema(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const { $schema: _dialect, ...published } = z.toJSONSchema(schema, { target: "draft-2020-12", io });
  return published;
}

type Listing = { tools: Tool[]; byName: Map<string, ToolDefinition> };
const listings = new WeakMap<ToolDefinition[], Listing>();

/** The published tool list, built once per tool set (HTTP mode builds a server per request). */
function listingOf(tools: ToolDefinition[]): Listing {
  let listing = listings.get(tools);
  if (!listing) {
    listing = {
      byName: new Map(tools.map((tool) => [tool.name, tool])),
      tools: tools.map((tool) => ({
        name: tool.name,
        title: tool.title,
        description: tool.description,
        inputSchema: publishedSchema(tool.input, "input") as Tool["inputSchema"],
        outputSchema: publishedSchema(tool.output, "output") as Tool["outputSchema"],
        annotations: tool.annotations,
        icons: tool.icons,
        ...(tool.taskSupport ? { execution: { taskSupport: tool.taskSupport } } : {}),
      })),
    };
    listings.set(tools, listing);
  }
  return listing;
}

/** The tools/list answer, as every server gives it (the build writes it beside the server for the stdio prelude). */
export function publishedToolList(tools: ToolDefinition[] = TOOLS): { tools: Tool[] } {
  return { tools: listingOf(tools).tools };
}

/** One JSON Schema validator for every server: the SDK would build an Ajv instance per server (per HTTP request). */
let sharedValidator: AjvJsonSchemaValidator | undefined;

/** The SDK's Server, seeing each call's arguments as the client sent them. */
class EcnServer extends Server {
  readonly rawArguments = new RawArguments();
  /** Set when tracing is on. */
  trace: TraceOptions | undefined;

  override async connect(transport: Transport): Promise<void> {
    this.rawArguments.watch(transport);
    answerInvalidParams(this);
    if (this.trace) traceRequests(this, this.trace);
    await super.connect(transport);
  }

  /** True when the client asked (logging/setLevel) for no messages at this level. */
  ignores(level: LoggingLevel, sessionId: string | undefined): boolean {
    return isMessageIgnored(this, level, sessionId);
  }
}

export function createServer(deps: ServerDeps): Server {
  const { tools, byName } = listingOf(deps.tools ?? TOOLS);
  const server = new EcnServer(SERVER_INFO, {
    capabilities: serverCapabilities(deps.tasks !== undefined),
    instructions: INSTRUCTIONS,
    jsonSchemaValidator: (sharedValidator ??= new AjvJsonSchemaValidator()),
  });
  if (deps.tracing) server.trace = { tracing: deps.tracing, tools: new Set(byName.keys()), connectionId: deps.connectionId };
  server.setRequestHandler(ListToolsRequestSchema, async (request) => {
    if (request.params?.cursor !== undefined) {
      throw new ProtocolError(ErrorCode.InvalidParams, "invalid cursor: every tool is listed in one page, so tools/list takes no cursor");
    }
    return { tools };
  });

  const { tasks } = deps;
  if (tasks) registerTaskHandlers(server, { ...deps, tasks });

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult | CreateTaskResult> => {
    const sent = server.rawArguments.take(extra.requestId);
    const tool = byName.get(request.params.name);
    if (!tool) throw new ProtocolError(ErrorCode.InvalidParams, `unknown tool: ${request.params.name} (tools/list names every tool)`);
    const task = request.params.task;
    if (task && tasks) {
      // Refused at once, as JSON-RPC errors: a task-augmented call answers a task or nothing.
      if (tool.taskSupport !== "optional") {
        throw new ProtocolError(
          ErrorCode.MethodNotFound,
          `${tool.name} cannot run as a task (its listing has no execution.taskSupport); call it without "task"`,
        );
      }
      const parsed = tool.input.safeParse(sent ?? request.params.arguments ?? {});
      if (!parsed.success) throw new ProtocolError(ErrorCode.InvalidParams, invalidInput(parsed.error).render(), { code: "invalid_input" });
      // Its call is recorded with the connection or API key it came through, like any call, and so is every line its run logs.
      const channel = deps.resolveChannel?.(extra);
      const org = await deps.resolveOrg(extra).catch((error: unknown) => {
        throw refusal(error, deps, tool.name, channel);
      });
      return callAsTask({ ...deps, tasks }, tool, parsed.data, org, contextFor(server, org, channel, extra), task.ttl);
    }
    const started = performance.now();
    const finish = (result: CallToolResult, code?: string) => {
      deps.onToolCall?.(tool.name, result.isError ? "error" : "ok", (performance.now() - started) / 1000, code);
      if (code) deps.tracing?.current()?.set({ "ecn.error.code": code });
      return result;
    };
    const refuse = (error: EcnError) => finish(errorResult(error), error.code);
    const parsed = tool.input.safeParse(sent ?? request.params.arguments ?? {});
    if (!parsed.success) return refuse(invalidInput(parsed.error));
    const channel = deps.resolveChannel?.(extra);
    const call = async (): Promise<CallToolResult> => {
      try {
        const org = await deps.resolveOrg(extra);
        const output = publishedOutput(await tool.handler(parsed.data, contextFor(server, org, channel, extra), deps));
        return finish(outputResult(output));
      } catch (error) {
        // A cancelled request may be rejected with its bare abort reason: a cancellation, not a bug.
        const failure = classifyFailure(extra.signal.aborted && !(error instanceof EcnError) ? cancellation() : error);
        logFailure(deps.logger, failure, "tool call failed", { tool: tool.name, ...channelFields(channel) });
        if (failure.kind !== "programming") return refuse(failure.error);
        deps.onToolCall?.(tool.name, "error", (performance.now() - started) / 1000, "internal");
        throw new ProtocolError(ErrorCode.InternalError, `${tool.name}: ${failure.publicMessage}`);
      }
    };
    // The call's lines (its failure here, a budget warning in the metering core…) name what it came through, each by itself:
    // run inside withLogFields, every promise of the process would cost more while any call is in flight.
    return call();
  });
  return server;
}
