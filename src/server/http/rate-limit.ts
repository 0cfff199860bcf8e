/**
 * Requests per minute per API key and per organisation (all its keys
 * together), in fixed one-minute windows, as most gateways count. An OAuth
 * connection on /mcp counts like a key of its own (by its connection id),
 * against its organisation's allowance too. A request
 * costs one; a JSON-RPC batch on /mcp costs one per message in it, so a
 * hundred tool calls in one POST count as a hundred requests, not one.
 *
 * On PostgreSQL the counters are in the database, so the limit holds across
 * every instance on it (within one window's slack: each window starts at its
 * first request, by the clock of the instance that counted it). On SQLite
 * they are in this process.
 *
 * When the shared counters cannot be reached, the limiter fails open to a
 * counter in this process with the same allowance, and says so in the log:
 * the limit protects the service's capacity, not money (a paid call's hold
 * fails closed on the ledger by itself), so a database hiccup should not
 * refuse requests the rest of the server could serve. During such an outage
 * N instances allow at most N times the limit.
 */
import type { Request, RequestHandler, Response } from "express";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import type { Caller } from "../../accounts/api-keys.js";
import type { Logger } from "../../log.js";
import type { CallChannel } from "../../metering/types.js";
import { sendError, type HttpErrorCode } from "./errors.js";
import { callerOf } from "./guards.js";

const WINDOW_SECONDS = 60;
/** At most one warning a minute about unreachable counters. */
const WARN_EVERY_MS = 60_000;

type Scope = "key" | "org";
/** Makes the counter of one scope: `points` requests a minute per id. */
export type RateCounterFactory = (points: number, prefix: Scope) => RateLimiterAbstract;

interface Limit {
  scope: Scope;
  perMinute: number;
  shared: RateLimiterAbstract;
  /** This process's own count, used while the shared one is unreachable. */
  local: RateLimiterAbstract;
}

export interface RateLimitOptions {
  perKey: number;
  perOrg: number;
  /** Where counters are kept (the store decides: shared on PostgreSQL, in this process on SQLite). */
  counter: RateCounterFactory;
  /** A counter in this process, the stand-in while the shared one is unreachable. */
  localCounter: RateCounterFactory;
  logger: Logger;
}

/** How a refusal is answered (the status, our code, the message and headers). */
export type Refuse = (status: number, code: HttpErrorCode, message: string, headers: Record<string, string>) => void;

export type Verdict = { ok: true } | { ok: false; scope: Scope; perMinute: number; retryAfterSeconds: number };

export class RateLimiter {
  private readonly key: Limit;
  private readonly org: Limit;
  private warnedAt = -Infinity;

  constructor(private readonly options: RateLimitOptions) {
    const limit = (scope: Scope, perMinute: number): Limit => ({
      scope,
      perMinute,
      shared: options.counter(perMinute, scope),
      local: options.localCounter(perMinute, scope),
    });
    this.key = limit("key", options.perKey);
    this.org = limit("org", options.perOrg);
  }

  /**
   * The counters a caller's request counts against. Every key's requests are
   * its organisation's too, so the key's own counter can only refuse when
   * its limit is below the organisation's: otherwise it is not kept (one
   * counter update per request instead of two). The operator token counts
   * as a key of its own, never against the organisation it reads. A
   * connection is counted by its id (`con_…`), a key by its own (`key_…`).
   */
  private limitsOf(caller: Caller, channel: CallChannel | undefined): [Limit, string][] {
    if (caller.keyId === "operator") return [[this.key, "operator"]];
    const org: [Limit, string] = [this.org, caller.org.id];
    const own = channel?.connectionId ?? channel?.apiKeyId ?? caller.keyId;
    return this.key.perMinute < this.org.perMinute ? [[this.key, own], org] : [org];
  }

  /** Takes `weight` requests from the caller's allowances; which one is spent, and until when, if refused. */
  async take(caller: Caller, weight: number, channel?: CallChannel): Promise<Verdict> {
    const verdicts = await Promise.all(this.limitsOf(caller, channel).map(([limit, id]) => this.consume(limit, id, weight)));
    return verdicts.find((verdict) => !verdict.ok) ?? { ok: true };
  }

  private async consume(limit: Limit, id: string, weight: number): Promise<Verdict> {
    try {
      await limit.shared.consume(id, weight);
      return { ok: true };
    } catch (refusal) {
      if (!(refusal instanceof Error)) return refused(limit, refusal);
      this.warnUnreachable(refusal);
    }
    try {
      await limit.local.consume(id, weight);
      return { ok: true };
    } catch (refusal) {
      return refused(limit, refusal);
    }
  }

  private warnUnreachable(error: Error): void {
    const now = Date.now();
    if (now - this.warnedAt < WARN_EVERY_MS) return;
    this.warnedAt = now;
    this.options.logger.warn("the shared rate limit counters cannot be reached; counting in this process until they can", { error: error.message });
  }

  /** Takes `weight` from the caller's allowances; true when the request may go on, else refused through `refuse` (429, Retry-After). */
  async admits(caller: Caller, weight: number, channel: CallChannel | undefined, refuse: Refuse): Promise<boolean> {
    const verdict = await this.take(caller, weight, channel);
    if (verdict.ok) return true;
    const refusal = refusalOf(verdict, channel);
    refuse(429, "rate_limited", refusal.message, refusal.headers);
    return false;
  }

  /** admits() for an Express request, refused with sendError. */
  admit(req: Request, res: Response, weight: number): Promise<boolean> {
    const channel = (req as { auth?: { extra?: { channel?: CallChannel } } }).auth?.extra?.channel;
    return this.admits(callerOf(res), weight, channel, (...refusal) => sendError(res, ...refusal));
  }

  /** Every authenticated request costs one. */
  perRequest(): RequestHandler {
    return (req, res, next) => {
      this.admit(req, res, 1).then((ok) => {
        if (ok) next();
      }, next);
    };
  }
}

/** What a 429 says: which allowance is spent, and when to retry. */
function refusalOf(verdict: Exclude<Verdict, { ok: true }>, channel: CallChannel | undefined): { message: string; headers: Record<string, string> } {
  const own = channel?.connectionId ? "with this connection" : "with this API key";
  const who = verdict.scope === "key" ? own : "for this organisation (all its API keys and connections together)";
  return {
    message: `more than ${verdict.perMinute} requests a minute ${who}; retry after ${verdict.retryAfterSeconds} s`,
    headers: { "Retry-After": String(verdict.retryAfterSeconds) },
  };
}

/** The library refuses with the window's state: how long until it ends. */
function refused(limit: Limit, refusal: unknown): Verdict {
  const msBeforeNext = (refusal as { msBeforeNext?: number }).msBeforeNext ?? WINDOW_SECONDS * 1000;
  return { ok: false, scope: limit.scope, perMinute: limit.perMinute, retryAfterSeconds: Math.max(1, Math.ceil(msBeforeNext / 1000)) };
}

/** Counters of `points` requests per one-minute window, from a store's counter maker (ledger/rate-limits.ts). */
export function perMinute(make: (options: { points: number; windowSeconds: number; prefix: string }) => RateLimiterAbstract): RateCounterFactory {
  return (points, prefix) => make({ points, windowSeconds: WINDOW_SECONDS, prefix });
}
