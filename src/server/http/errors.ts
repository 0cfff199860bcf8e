/**
 * Every HTTP error is JSON `{error: {code, message}}` with the status that
 * fits, rendered in one place; a stack trace never leaves the process. On the
 * MCP endpoint the same failure (a missing key, the rate limit, the ledger
 * down, a body too large) is a JSON-RPC error instead, with the same status
 * and headers and our code leading its message, so an MCP client shows it.
 */
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

export function sendError(res: Response, status: number, code: HttpErrorCode, message: string, headers: Record<string, string> = {}): void {
  res.locals.errorCode = code; // counted by code once the response is sent (app.ts)
  const body = MCP_ENDPOINT.test(res.req.path)
    ? { jsonrpc: "2.0", error: { code: JSONRPC_CODE[code] ?? -32000, message: `${code}: ${message}` }, id: null }
    : { error: { code, message } };
  res.status(status).set(headers).json(body);
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

/** The last middleware: body-parser errors, then every other failure as the one classification says. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    const type = (error as { type?: string }).type;
    if (type === "entity.too.large") return sendError(res, 413, "payload_too_large", "the request body is larger than this server accepts");
    if (type === "entity.parse.failed") return sendError(res, 400, "invalid_input", "the request body is not valid JSON");
    if (type === "encoding.unsupported" || type === "charset.unsupported") return sendError(res, 400, "invalid_input", "unsupported body encoding");
    const failure = classifyFailure(error);
    logFailure(logger, failure, "HTTP request failed", { method: req.method, path: req.path });
    if (failure.kind === "programming") return sendError(res, 500, "internal", failure.publicMessage);
    sendError(res, ECN_STATUS[failure.error.code] ?? 400, failure.error.code, failure.error.message);
  };
}
