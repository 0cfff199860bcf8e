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
 * the server aborts the handlers of its requests. The transport itself
 * (ExchangeTransport) lives with everything else that relies on the SDK's
 * own behaviour, in ../sdk-internals.ts; this file reads the request.
 */
import type { IncomingMessage } from "node:http";
import { JSONRPCMessageSchema, SUPPORTED_PROTOCOL_VERSIONS, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

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
