/**
 * Everything ecn-mcp relies on in the MCP SDK beyond its documented API, in
 * one module: the SDK's private members we reach into, and the behaviour of
 * its own code we build on. Nothing else in src/ does either.
 *
 * Checked against @modelcontextprotocol/sdk 1.32.2 (package.json pins
 * ~1.32.2: patch releases only). Each dependency below has a contract test in
 * test/unit/sdk-contract.test.ts that asserts the SDK still behaves so; after
 * an upgrade, the test names exactly which one broke.
 *
 *  1. A thrown error with a numeric `code` is answered as a JSON-RPC error
 *     with that code and its message as it is (McpError would prefix it),
 *     and its `data`, if it has one.
 *  2. The request handler table is `_requestHandlers`, a Map of method ->
 *     handler, and each entry validates the request's params itself.
 *  3. Those validation errors are zod core's, named `$ZodError`, with `issues`.
 *  4. `connect` chains a transport's `onmessage`: the handler set before
 *     `connect` runs first, with each message as the transport parsed it.
 *  5. `isMessageIgnored(level, sessionId)` (protected) answers what the
 *     client asked with logging/setLevel.
 *  6. The stateless exchange: notifications a handler sends carry
 *     `relatedRequestId`, responses the request's id, sent once the handler
 *     returned; the `extra` a transport passes with a message reaches the
 *     handler (authInfo, requestInfo); and closing the transport aborts the
 *     handlers in flight (only those: an exchange whose every request is
 *     answered is not closed, which spares the SDK's close its work).
 *  7. stdio: nothing. stdin is cut into lines before the SDK's transport sees
 *     it (./stdio-input.ts), with public API only (see the end of this file).
 *  8. MCP tasks (./tasks.ts), experimental in the SDK: given no TaskStore,
 *     the SDK registers no tasks/* handler of its own, so ours (public
 *     setRequestHandler) answer them; a tools/call carrying `task` reaches
 *     our handler once the server declares tasks.requests.tools.call, and
 *     what it returns is sent as the CreateTaskResult; a notification a
 *     handler sends after its answer still goes out with the request's id as
 *     relatedRequestId (a task's progress, on a connection that lasts).
 *  9. `initialize` (./stdio-prelude.ts answers it before the SDK loads, from
 *     ./server-info.ts): the SDK answers the protocol version asked for when
 *     it is among its SUPPORTED_PROTOCOL_VERSIONS (copied there), else the
 *     latest, with the server's info, capabilities and instructions as given
 *     to its constructor; its schema for the request is at least as lenient
 *     as the prelude's checks.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ErrorCode, isJSONRPCRequest, type JSONRPCMessage, type LoggingLevel, type RequestId } from "@modelcontextprotocol/sdk/types.js";

// 1. Errors answered as they are --------------------------------------------------------------------------------

/**
 * An error answered as a JSON-RPC error with this code and message, as they
 * are, and `data` if given. (The SDK renders a thrown McpError's message with
 * its own "MCP error -32602:" prefix and the client adds another.)
 */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  constructor(
    readonly code: number,
    message: string,
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
  }
}

// 2-3. Invalid params as -32602 -----------------------------------------------------------------------------------

interface ValidationIssue {
  path?: PropertyKey[];
  message?: string;
}

/** What a handler is in the SDK's table. */
export type SdkRequestHandler = (request: { method: string; params?: unknown }, extra: unknown) => Promise<unknown>;

/** The SDK's own table of request handlers (not public API). */
export function requestHandlers(server: Server): Map<string, SdkRequestHandler> {
  return (server as unknown as { _requestHandlers: Map<string, SdkRequestHandler> })._requestHandlers;
}

/** A params validation failure as the SDK throws it: zod core's error. */
export function isValidationError(error: unknown): error is { issues: ValidationIssue[] } {
  return error instanceof Error && /^\$?ZodError$/.test(error.name) && Array.isArray((error as { issues?: unknown }).issues);
}

/** `params.name: expected string, received number; ...` */
function describeIssues(issues: ValidationIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path?.length ? issue.path.map(String).join(".") : "(the request)"}: ${issue.message ?? "invalid"}`)
    .join("; ");
}

/**
 * Makes every request handler of `server` answer a params validation failure
 * as invalid params (-32602) with a readable message, not as the internal
 * error with a raw validation dump the SDK answers by default. Call it once
 * every handler is registered.
 */
export function answerInvalidParams(server: Server): void {
  const handlers = requestHandlers(server);
  for (const [method, handler] of handlers) {
    handlers.set(method, async (request, extra) => {
      try {
        return await handler(request, extra);
      } catch (error) {
        if (!isValidationError(error)) throw error;
        throw new ProtocolError(ErrorCode.InvalidParams, `Invalid params for ${method}: ${describeIssues(error.issues)}`);
      }
    });
  }
}

// 4. Raw arguments ------------------------------------------------------------------------------------------------

/** Requests whose handler never ran (refused by the SDK first) are forgotten beyond this many. */
const MAX_KEPT = 1_000;

/**
 * The arguments of each `tools/call` exactly as the client sent them. The SDK
 * re-parses a call's arguments into a fresh record, and assigning the key
 * "__proto__" to a plain object sets its prototype instead of adding a
 * property: that argument (and whatever it held) would vanish before our
 * schema sees it, so a call carrying it would be accepted. Kept as the JSON
 * parser made it, the arguments meet our strict schemas whole, and
 * "__proto__" is refused like any other unknown argument.
 */
export class RawArguments {
  private readonly byId = new Map<RequestId, unknown>();

  /** Sees every message before the SDK does: call it before `connect` (the SDK calls the earlier `onmessage` first). */
  watch(transport: Transport): void {
    const earlier = transport.onmessage;
    transport.onmessage = (message, extra) => {
      earlier?.(message, extra);
      if (!isJSONRPCRequest(message) || message.method !== "tools/call") return;
      const args = (message.params as { arguments?: unknown } | undefined)?.arguments;
      if (args === undefined) return;
      if (this.byId.size >= MAX_KEPT) this.byId.delete(this.byId.keys().next().value!);
      this.byId.set(message.id, args);
    };
  }

  /** The arguments of request `id` as sent (once), or undefined when none were kept. */
  take(id: RequestId): unknown {
    const args = this.byId.get(id);
    this.byId.delete(id);
    return args;
  }
}

// 5. The client's logging level -----------------------------------------------------------------------------------

/** True when the client asked (logging/setLevel) for no messages at this level in this session. */
export function isMessageIgnored(server: Server, level: LoggingLevel, sessionId: string | undefined): boolean {
  return (server as unknown as { isMessageIgnored(level: LoggingLevel, sessionId?: string): boolean }).isMessageIgnored(level, sessionId);
}

// 6. The stateless exchange ---------------------------------------------------------------------------------------

/**
 * The transport of one stateless Streamable HTTP exchange (one POST /mcp, see
 * http/exchange.ts): its messages go to a server of its own, and everything
 * the server sends about those requests (progress and logging notifications,
 * then the responses) goes back on `res` as an SSE stream, which ends once
 * every request is answered. With no request among the messages, the answer
 * is 202 and no body. The client cancels by closing the request: closing this
 * transport makes the server abort the handlers of its requests.
 */
/**
 * Whether one of the server's own messages is a response: it has an id and no method. Told by its shape, as
 * the SDK's schema checks would parse the whole result again.
 */
export const isResponseShape = (message: JSONRPCMessage): message is JSONRPCMessage & { id: RequestId } => "id" in message && !("method" in message);

export class ExchangeTransport implements Transport {
  onmessage?: Transport["onmessage"];
  onclose?: () => void;
  onerror?: (error: Error) => void;
  private readonly unanswered: Set<RequestId>;
  private readonly sharedIds: boolean;
  private streaming = false;
  private closed = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly messages: JSONRPCMessage[],
    private readonly authInfo: AuthInfo | undefined,
  ) {
    // Checked by their shape, not the SDK's schemas: readExchange validated them already, and a schema parse per message is not free.
    const ids = messages.flatMap((m) => ("method" in m && "id" in m ? [m.id] : []));
    this.unanswered = new Set(ids);
    this.sharedIds = this.unanswered.size < ids.length;
  }

  async start(): Promise<void> {}

  /**
   * True once every request among the messages is answered (or there was
   * none): the server sends a response only after its handler returned, so
   * no handler of this exchange is left to abort. Not with two requests of
   * one id in a batch, as one answer stands for both.
   */
  get answered(): boolean {
    return this.unanswered.size === 0 && !this.sharedIds;
  }

  /** Hands the messages to the server; with no request among them, the exchange is over at once (202). */
  deliver(): void {
    if (this.unanswered.size === 0) this.res.writeHead(202).end();
    const requestInfo = { headers: this.req.headers };
    for (const message of this.messages) this.onmessage?.(message, { ...(this.authInfo ? { authInfo: this.authInfo } : {}), requestInfo });
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.closed || this.res.writableEnded) return;
    const isResponse = isResponseShape(message);
    const related = isResponse ? message.id : options?.relatedRequestId;
    // A stateless exchange has no stream for anything that is not about its own requests.
    if (related === undefined || !this.unanswered.has(related)) return;
    if (!this.streaming) {
      this.streaming = true;
      this.res.writeHead(200, {
        "Content-Type": "text/event-stream",
        "Cache-Control": "no-cache, no-transform",
        Connection: "keep-alive",
        "X-Accel-Buffering": "no",
      });
    }
    this.res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
    if (isResponse) {
      this.unanswered.delete(message.id);
      if (this.unanswered.size === 0) this.res.end();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.res.writableEnded) this.res.end();
    this.onclose?.();
  }
}

// 7. stdio --------------------------------------------------------------------------------------------------------
// Nothing private: oversized, non-JSON and non-JSON-RPC lines are refused by ./stdio-input.ts before the SDK's
// transport reads them, through the transport's public constructor (stdin, stdout, { maxBufferSize }) and the SDK's
// exported JSONRPCMessageSchema. Should a reach into the SDK's stdio ReadBuffer ever be needed, it belongs here,
// with its contract test beside the others.
