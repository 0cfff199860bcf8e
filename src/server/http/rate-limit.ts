/**
 * Requests per minute per API key, counted in this process (a fixed window,
 * as most gateways do). A request costs one; a JSON-RPC batch on /mcp costs
 * one per message in it, so a hundred tool calls in one POST count as a
 * hundred requests, not one.
 */
import type { RequestHandler, Response } from "express";
import { sendError } from "./errors.js";
import { callerOf } from "./guards.js";

const WINDOW_MS = 60_000;

export class KeyRateLimiter {
  private readonly windows = new Map<string, { start: number; used: number }>();

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes `weight` from the key's allowance; the seconds until the window resets when it is spent. */
  take(key: string, weight: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now - window.start >= WINDOW_MS) {
      if (this.windows.size > 10_000) this.forgetExpired(now);
      window = { start: now, used: 0 };
      this.windows.set(key, window);
    }
    window.used += weight;
    if (window.used <= this.perMinute) return { ok: true };
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((window.start + WINDOW_MS - now) / 1000)) };
  }

  private forgetExpired(now: number): void {
    for (const [key, window] of this.windows) if (now - window.start >= WINDOW_MS) this.windows.delete(key);
  }

  /** Refuses with 429 and Retry-After; true when the request may go on. */
  admit(res: Response, weight: number): boolean {
    const verdict = this.take(callerOf(res).keyId, weight);
    if (verdict.ok) return true;
    sendError(res, 429, "rate_limited", `more than ${this.perMinute} requests a minute with this API key; retry after ${verdict.retryAfterSeconds} s`, {
      "Retry-After": String(verdict.retryAfterSeconds),
    });
    return false;
  }

  /** Every authenticated request costs one. */
  perRequest(): RequestHandler {
    return (_req, res, next) => {
      if (this.admit(res, 1)) next();
    };
  }

  /** After the body is parsed: each further message of a JSON-RPC batch costs one more. */
  perBatchMessage(): RequestHandler {
    return (req, res, next) => {
      const extra = Array.isArray(req.body) ? req.body.length - 1 : 0;
      if (extra <= 0 || this.admit(res, extra)) next();
    };
  }
}
