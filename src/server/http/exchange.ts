/**
 * One POST /mcp, answered as the Streamable HTTP transport specifies for a
 * stateless server: the JSON-RPC message (or batch) in the body is handed to
 * a server of its own, and everything the server sends about those requests
 * (progress and logging notifications, then the responses) goes back on this
 * response as an SSE stream, which ends once every request is answered.
 * Messages that are only notifications or responses get 202 and no body.
 *
 * The SDK's StreamableHTTPServerTransport does the same, but through a
 * conversion of every Node request and response into web-standard
 * Request/Response streams, and with session, resumption and standalone-stream
 * machinery a stateless server never uses; that conversion was most of what a
 * request cost beyond the tool itself. The checks it makes are kept: the
 * Accept and Content-Type headers, the protocol version header, batch size,
 * message shape.
 *
 * The client cancels by closing the request: the transport then closes, and
 * the server aborts the handlers of its requests.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  JSONRPCMessageSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
  type JSONRPCMessage,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";

/** As the SDK's transport: more messages than this in one batch is refused. */
const MAX_BATCH = 100;

export interface Refusal {
  status: number;
  code: number;
  message: string;
}

/** Reads the POST's messages; a Refusal says which HTTP and JSON-RPC error to answer instead. */
export function readExchange(req: IncomingMessage, body: unknown): JSONRPCMessage[] | Refusal {
  const accept = req.headers.accept ?? "";
  if (!accept.includes("application/json") || !accept.includes("text/event-stream")) {
    return { status: 406, code: -32000, message: "Not Acceptable: Client must accept both application/json and text/event-stream" };
  }
  const version = req.headers["mcp-protocol-version"];
  if (typeof version === "string" && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
    return {
      status: 400,
      code: -32000,
      message: `Bad Request: Unsupported protocol version: ${version} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(", ")})`,
    };
  }
  if (Array.isArray(body) && body.length > MAX_BATCH)
    return { status: 400, code: -32600, message: `Invalid Request: Batch must not exceed ${MAX_BATCH} messages` };
  const raw = Array.isArray(body) ? body : [body];
  const messages: JSONRPCMessage[] = [];
  for (const message of raw) {
    const parsed = JSONRPCMessageSchema.safeParse(message);
    if (!parsed.success) return { status: 400, code: -32700, message: "Parse error: Invalid JSON-RPC message" };
    messages.push(parsed.data);
  }
  if (messages.length === 0) return { status: 400, code: -32600, message: "Invalid Request: empty batch" };
  return messages;
}

/** The transport of one exchange: its requests' answers stream back on `res`. */
export class ExchangeTransport implements Transport {
  onmessage?: Transport["onmessage"];
  onclose?: () => void;
  onerror?: (error: Error) => void;
  private readonly unanswered: Set<RequestId>;
  private streaming = false;
  private closed = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly messages: JSONRPCMessage[],
    private readonly authInfo: AuthInfo | undefined,
  ) {
    this.unanswered = new Set(messages.filter(isJSONRPCRequest).map((m) => m.id));
  }

  async start(): Promise<void> {}

  /** Hands the messages to the server; with no request among them, the exchange is over at once (202). */
  deliver(): void {
    if (this.unanswered.size === 0) this.res.writeHead(202).end();
    const requestInfo = { headers: this.req.headers };
    for (const message of this.messages) this.onmessage?.(message, { ...(this.authInfo ? { authInfo: this.authInfo } : {}), requestInfo });
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.closed || this.res.writableEnded) return;
    const isResponse = isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message);
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
      this.unanswered.delete(message.id as RequestId);
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
