/**
 * Every HTTP error is JSON `{error: {code, message}}` with the status that
 * fits, rendered in one place; a stack trace never leaves the process.
 */
import type { ErrorRequestHandler, Response } from "express";
import { EcnError, type ErrorCode } from "../../errors.js";
import type { Logger } from "../../log.js";

export type HttpErrorCode = ErrorCode | "forbidden_host" | "not_found" | "method_not_allowed" | "payload_too_large" | "rate_limited" | "internal";

export function sendError(res: Response, status: number, code: HttpErrorCode, message: string, headers: Record<string, string> = {}): void {
  res.status(status).set(headers).json({ error: { code, message } });
}

const ECN_STATUS: Partial<Record<ErrorCode, number>> = {
  invalid_input: 400,
  unauthorized: 401,
  insufficient_credits: 402,
  budget_exceeded: 402,
  idempotency_conflict: 409,
  provider_not_configured: 503,
  provider_error: 502,
};

/** The last middleware: body-parser errors, EcnErrors, and anything unexpected (logged, not shown). */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) return next(error);
    const type = (error as { type?: string }).type;
    if (type === "entity.too.large") return sendError(res, 413, "payload_too_large", "the request body is larger than this server accepts");
    if (type === "entity.parse.failed") return sendError(res, 400, "invalid_input", "the request body is not valid JSON");
    if (type === "encoding.unsupported" || type === "charset.unsupported") return sendError(res, 400, "invalid_input", "unsupported body encoding");
    if (error instanceof EcnError) return sendError(res, ECN_STATUS[error.code] ?? 400, error.code, error.message);
    logger.error("HTTP request failed", { error: error instanceof Error ? error.stack : String(error) });
    sendError(res, 500, "internal", "internal error; the server log has details");
  };
}
