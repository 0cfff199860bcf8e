/**
 * Every MCP request a span, by the MCP semantic conventions: named
 * `{mcp.method.name} {gen_ai.tool.name}` (`tools/call profile_draft`), kind
 * SERVER, continuing the caller's trace from `params._meta.traceparent`. A
 * tool call's result with `isError` marks the span failed with `tool_error`;
 * a JSON-RPC error with its code. Installed only when tracing is on.
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { CallChannel } from "../metering/types.js";
import type { Tracing } from "../telemetry/tracing.js";
import { requestHandlers } from "./sdk-internals.js";

interface RequestExtra {
  requestId?: string | number;
  sessionId?: string;
  /** Over HTTP: the API key or OAuth connection the request came through, as the auth guard put it. */
  authInfo?: { extra?: { channel?: CallChannel } };
  requestInfo?: { headers?: Record<string, string | string[] | undefined> };
}

export interface TraceOptions {
  tracing: Tracing;
  /** Tool names that may name a span (a client's made-up name must not make span names unbounded). */
  tools: ReadonlySet<string>;
  /** Who is connected when no API key or OAuth connection says it: the stdio server's instance. */
  connectionId?: string | undefined;
}

/** Wraps every request handler of `server` in a server span (call after the other handler wrappers: this one is outermost). */
export function traceRequests(server: Server, options: TraceOptions): void {
  const handlers = requestHandlers(server);
  for (const [method, handler] of handlers) {
    handlers.set(method, (request, given) => {
      const extra = given as RequestExtra;
      const params = (request.params ?? {}) as { name?: unknown; _meta?: Record<string, unknown> };
      const tool = method === "tools/call" && typeof params.name === "string" && options.tools.has(params.name) ? params.name : undefined;
      const http = extra.authInfo !== undefined;
      const channel = extra.authInfo?.extra?.channel;
      const version = extra.requestInfo?.headers?.["mcp-protocol-version"];
      const attributes = {
        "mcp.method.name": method,
        "jsonrpc.request.id": extra.requestId === undefined ? undefined : String(extra.requestId),
        "mcp.session.id": extra.sessionId,
        "mcp.protocol.version": typeof version === "string" ? version : undefined,
        "gen_ai.tool.name": tool,
        "gen_ai.operation.name": method === "tools/call" ? "execute_tool" : undefined,
        "network.transport": http ? "tcp" : "pipe",
        "network.protocol.name": http ? "http" : undefined,
        "ecn.api_key_id": channel?.apiKeyId ?? undefined,
        "ecn.connection_id": http ? (channel?.connectionId ?? undefined) : options.connectionId,
      };
      return options.tracing.request(tool ? `${method} ${tool}` : method, attributes, params._meta, async (span) => {
        let result: unknown;
        try {
          result = await handler(request, given);
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          if (typeof code === "number") span.set({ "rpc.response.status_code": String(code) });
          throw error;
        }
        if ((result as { isError?: unknown } | undefined)?.isError === true) span.fail("tool_error");
        return result;
      });
    });
  }
}
