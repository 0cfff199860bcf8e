/**
 * Every HTTP error is JSON `{error: {code, message}}` with the status that
 * fits, rendered in one place; a stack trace never leaves the process. On the
 * MCP endpoint the same failure (a missing key, the rate limit, the ledger
 * down, a body too large) is a JSON-RPC error instead, with the same status
 * and headers and our code leading its message, so an MCP client shows it.
 */
import type { ServerResponse } from "node:http";
import type { ErrorRequestHandler, Response } from "express";
import type { ErrorCode } from "../../errors.js";
import type { Logger } from "../../log.js";
import { classifyFailure, logFailure } from "../../failures.js";

export type HttpErrorCode =
  | ErrorCode
  | "forbidden"
  | "forbidden_host"
  | "forbidden_origin"
  | "not_found"
  | "method_not_allowed"
  | "payload_too_large"
  | "rate_limited"
  | "starting"
  | "internal";

const MCP_ENDPOINT = /^\/mcp\/?$/;

/** JSON-RPC's own codes where one fits; the rest are server errors (-32000), told apart by our code in the message. */
const JSONRPC_CODE: Partial<Record<HttpErrorCode, number>> = { invalid_input: -32600, payload_too_large: -32600, internal: -32603 };

/** An error's body: on the MCP endpoint a JSON-RPC error with our code leading its message, elsewhere `{error: {code, message}}`. */
export function errorBody(path: string, code: HttpErrorCode, message: string): Record<string, unknown> {
  return MCP_ENDPOINT.test(path)
    ? { jsonrpc: "2.0", error: { code: JSONRPC_CODE[code] ?? -32000, message: `${code}: ${message}` }, id: null }
    : { error: { code, message } };
}

export function sendError(res: Response, status: number, code: HttpErrorCode, message: string, headers: Record<string, string> = {}): void {
  res.locals.errorCode = code; // counted by code once the response is sent (app.ts)
  res
    .status(status)
    .set(headers)
    .json(errorBody(res.req.path, code, message));
}

/**
 * A JSON answer as Express's `res.json` writes it (its media type and
 * length), for the routes served without Express (the MCP endpoint).
 */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, "Content-Type": "application/json; charset=utf-8", "Content-Length": String(Buffer.byteLength(text)) });
  res.end(text);
}

const ECN_STATUS: Partial<Record<ErrorCode, number>> = {
  invalid_input: 400,
  unauthorized: 401,
  insufficient_credits: 402,
  budget_exceeded: 402,
  idempotency_conflict: 409,
  provider_not_configured: 503,
  provider_error: 502,
  ledger_unavailable: 503,
};

export interface FailureAnswer {
  status: number;
  code: HttpErrorCode;
  message: string;
}

/** How a failure is answered: body-parser's errors, then every other failure as the one classification says (logged). */
export function failureAnswer(error: unknown, logger: Logger, request: { method: string; path: string }): FailureAnswer {
  const type = (error as { type?: string }).type;
  if (type === "entity.too.large") return { status: 413, code: "payload_too_large", message: "the request body is larger than this server accepts" };
  if (type === "entity.parse.failed") return { status: 400, code: "invalid_input", message: "the request body is not valid JSON" };
  if (type === "encoding.unsupported" || type === "charset.unsupported") return { status: 400, code: "invalid_input", message: "unsupported body encoding" };
  const failure = classifyFailure(error);
  logFailure(logger, failure, "HTTP request failed", request);
  if (failure.kind === "programming") return { status: 500, code: "internal", message: failure.publicMessage };
  return { status: ECN_STATUS[failure.error.code] ?? 400, code: failure.error.code, message: failure.error.message };
}

/** The last middleware: every failure answered as failureAnswer says. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    const answer = failureAnswer(error, logger, { method: req.method, path: req.path });
    sendError(res, answer.status, answer.code, answer.message);
  };
}
