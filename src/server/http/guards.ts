/**
 * Request guards, in the order they run: Host allow-list (DNS rebinding),
 * Origin allow-list (a web page in a browser calling a local server), bearer
 * API key (the key alone decides the organisation). The per-key rate limit is
 * in rate-limit.ts.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler, Response } from "express";
import type { ApiKeys, Caller } from "../../accounts/api-keys.js";
import { sendError } from "./errors.js";

/** The authenticated caller of this request (set by requireApiKey). */
export function callerOf(res: Response): Caller {
  const caller = res.locals.caller as Caller | undefined;
  if (!caller) throw new Error("route reached without authentication");
  return caller;
}

export function allowHosts(allowed: readonly string[]): RequestHandler {
  const names = new Set(allowed);
  return (req, res, next) => {
    let hostname: string | undefined;
    try {
      hostname = req.headers.host ? new URL(`http://${req.headers.host}`).hostname.toLowerCase() : undefined;
    } catch {
      hostname = undefined;
    }
    if (hostname && names.has(hostname)) return next();
    sendError(res, 403, "forbidden_host", `Host ${JSON.stringify(req.headers.host ?? "")} is not allowed; set ECN_HTTP_ALLOWED_HOSTS to serve it`);
  };
}

/**
 * Refuses requests a browser sends on behalf of a page from another origin.
 * Clients that are not browsers send no Origin and are served; a browser
 * page is served only from an origin the operator allowed.
 */
export function allowOrigins(allowed: readonly string[]): RequestHandler {
  const origins = new Set(allowed.map((o) => o.toLowerCase()));
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin === undefined || origins.has(origin.toLowerCase()) || sameOrigin(origin, req.headers.host)) return next();
    sendError(res, 403, "forbidden_origin", `Origin ${JSON.stringify(origin)} is not allowed; set ECN_ALLOWED_ORIGINS to serve pages from it`);
  };
}

/** A page this server served (the dashboard) calling back: its origin is the Host it asked, already allow-listed. */
function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    const url = new URL(origin);
    return host !== undefined && (url.protocol === "http:" || url.protocol === "https:") && url.host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

export function requireApiKey(keys: ApiKeys): RequestHandler {
  return async (req, res, next) => {
    if (res.locals.caller) return next(); // the operator token, already resolved to the organisation it asked for
    try {
      const header = req.headers.authorization ?? "";
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const caller = match ? await keys.authenticate(match[1]) : null;
      if (!caller) {
        const why = header
          ? "the API key is wrong or revoked"
          : "send an API key as `Authorization: Bearer <key>` (this server does not use OAuth; an operator creates keys with `ecn-mcp key create --org ORG`)";
        return sendError(res, 401, "unauthorized", why, { "WWW-Authenticate": 'Bearer realm="ecn-mcp"' });
      }
      res.locals.caller = caller;
      // The MCP transport hands req.auth to tool handlers as authInfo: the org comes from here, never from arguments.
      const channel = { connectionId: null, apiKeyId: caller.keyId };
      (req as { auth?: unknown }).auth = { token: `key:${caller.keyId}`, clientId: caller.keyId, scopes: [], extra: { org: caller.org, channel } };
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** Compares two secrets in constant time (through fixed-length digests). */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
