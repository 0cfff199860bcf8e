/**
 * Request guards, in the order they run: Host allow-list (DNS rebinding),
 * Origin allow-list (a web page in a browser calling a local server), bearer
 * API key (the key alone decides the organisation). The per-key rate limit is
 * in rate-limit.ts.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler, Response } from "express";
import type { ApiKeys, Caller } from "../../accounts/api-keys.js";
import { KEY_PREFIX } from "../../accounts/api-keys.js";
import { SCOPES } from "../../auth/index.js";
import { FEATURES } from "../../features.js";
import { sendError } from "./errors.js";
import type { OAuthGate } from "./oauth-gate.js";

/** The authenticated caller of this request (set by requireCaller, or the operator token). */
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
export function allowOrigins(allowed: readonly string[], crossOriginEndpoint: (path: string) => boolean = () => false): RequestHandler {
  const origins = new Set(allowed.map((o) => o.toLowerCase()));
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin === undefined || origins.has(origin.toLowerCase()) || sameOrigin(origin, req.headers.host)) return next();
    // OAuth metadata, registration, token and revocation are made for clients in browsers too (oidc-provider answers their CORS).
    if (crossOriginEndpoint(req.path)) return next();
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

/**
 * The caller of a request: an API key (`ecn_sk_...`, on every route), or on
 * /mcp an OAuth access token of a connection. A refusal on /mcp carries the
 * challenge an OAuth client starts from (RFC 9728 resource metadata).
 */
export function requireCaller(keys: ApiKeys, oauth: OAuthGate): RequestHandler {
  return async (req, res, next) => {
    if (res.locals.caller) return next(); // the operator token, already resolved to the organisation it asked for
    try {
      const header = req.headers.authorization ?? "";
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
      const server = req.path === "/mcp" ? oauth.current : undefined;
      const refuse = (why: string, invalid: boolean) =>
        sendError(res, 401, "unauthorized", why, {
          "WWW-Authenticate": server ? server.challenge(invalid ? { error: "invalid_token", description: why } : {}) : 'Bearer realm="ecn-mcp"',
        });
      if (!bearer || bearer.startsWith(KEY_PREFIX)) {
        const caller = bearer ? await keys.authenticate(bearer) : null;
        if (!caller) {
          const sendKey = "send an API key as `Authorization: Bearer <key>` (an operator creates keys with `ecn-mcp key create --org ORG`)";
          // Only /mcp takes OAuth: the REST routes are for scripts, with a key.
          const why = header
            ? "the API key is wrong or revoked"
            : server
              ? `connect with OAuth (an MCP client does this by itself from this answer), or ${sendKey}`
              : sendKey;
          return refuse(why, !!header);
        }
        res.locals.caller = caller;
        // The MCP transport hands req.auth to tool handlers as authInfo: the org comes from here, never from arguments.
        const channel = { connectionId: null, apiKeyId: caller.keyId };
        (req as { auth?: unknown }).auth = { token: `key:${caller.keyId}`, clientId: caller.keyId, scopes: [], extra: { org: caller.org, channel } };
        return next();
      }
      if (!server) return refuse("OAuth access tokens are for /mcp; this route takes an API key as `Authorization: Bearer <key>`", true);
      const checked = await server.checkAccessToken(bearer);
      if (!checked.ok) return refuse(checked.why, true);
      const { org, connection, scopes } = checked;
      res.locals.caller = { org, keyId: connection.id } satisfies Caller;
      res.locals.scopes = scopes;
      const channel = { connectionId: connection.id, apiKeyId: null };
      (req as { auth?: unknown }).auth = { token: `connection:${connection.id}`, clientId: connection.clientId, scopes: [...scopes], extra: { org, channel } };
      next();
    } catch (error) {
      next(error);
    }
  };
}

/**
 * An OAuth connection's scope on /mcp: tools:free for any call, tools:paid
 * for the paid tools. A missing scope is 403 insufficient_scope naming the
 * scope to ask for, so the client can ask the person again (step-up); API
 * keys are not limited by scope.
 */
export function requireScope(oauth: OAuthGate): RequestHandler {
  const paid = new Set<string>(FEATURES);
  return (req, res, next) => {
    const scopes = res.locals.scopes as Set<string> | undefined;
    const server = oauth.current;
    if (!scopes || !server) return next();
    const messages = (Array.isArray(req.body) ? req.body : [req.body]) as { method?: unknown; params?: { name?: unknown } }[];
    const callsPaid = messages.some((m) => m?.method === "tools/call" && typeof m.params?.name === "string" && paid.has(m.params.name));
    const missing = !scopes.has(SCOPES.free) && !scopes.has(SCOPES.paid) ? "ecn-mcp's tools" : callsPaid && !scopes.has(SCOPES.paid) ? "paid tools" : null;
    if (!missing) return next();
    const why = `this connection was not allowed to use ${missing}: connect again and allow them`;
    sendError(res, 403, "forbidden", why, {
      "WWW-Authenticate": server.challenge({ error: "insufficient_scope", description: why, scope: `${SCOPES.free} ${SCOPES.paid}` }),
    });
  };
}

/** Compares two secrets in constant time (through fixed-length digests). */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
