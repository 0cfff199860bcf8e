/**
 * Request guards, in the order they run: Host allow-list (DNS rebinding),
 * Origin allow-list (a web page in a browser calling a local server), bearer
 * API key (the key alone decides the organisation) or OAuth access token, and
 * an OAuth connection's scope. The per-key rate limit is in rate-limit.ts.
 * Each is a plain check the MCP endpoint runs itself, and an Express
 * middleware around it for the other routes.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler, Response } from "express";
import type { ApiKeys, Caller } from "../../accounts/api-keys.js";
import type { CallChannel } from "../../metering/types.js";
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

/** Host headers seen and whether each names an allowed host, so a request costs no URL parse; cleared beyond this many. */
const MAX_HOSTS_KEPT = 1_000;

/** The Host allow-list as a check of one Host header (DNS rebinding). */
export function hostCheck(allowed: readonly string[]): (host: string | undefined) => boolean {
  const names = new Set(allowed);
  const seen = new Map<string, boolean>();
  return (host) => {
    if (!host) return false;
    let ok = seen.get(host);
    if (ok === undefined) {
      let hostname: string | undefined;
      try {
        hostname = new URL(`http://${host}`).hostname.toLowerCase();
      } catch {
        hostname = undefined;
      }
      ok = hostname !== undefined && names.has(hostname);
      if (seen.size >= MAX_HOSTS_KEPT) seen.clear();
      seen.set(host, ok);
    }
    return ok;
  };
}

export const hostRefusal = (host: string | undefined): string => `Host ${JSON.stringify(host ?? "")} is not allowed; set ECN_HTTP_ALLOWED_HOSTS to serve it`;

export function allowHosts(allowed: readonly string[]): RequestHandler {
  const allows = hostCheck(allowed);
  return (req, res, next) => {
    if (allows(req.headers.host)) return next();
    sendError(res, 403, "forbidden_host", hostRefusal(req.headers.host));
  };
}

/**
 * Refuses requests a browser sends on behalf of a page from another origin.
 * Clients that are not browsers send no Origin and are served; a browser
 * page is served only from an origin the operator allowed.
 */
export function allowOrigins(allowed: readonly string[], crossOriginEndpoint: (path: string) => boolean = () => false): RequestHandler {
  const allows = originCheck(allowed, crossOriginEndpoint);
  return (req, res, next) => {
    if (allows(req.headers.origin, req.headers.host, req.path)) return next();
    sendError(res, 403, "forbidden_origin", originRefusal(req.headers.origin!));
  };
}

/** The Origin allow-list as a check of one request's Origin, Host and path. */
export function originCheck(
  allowed: readonly string[],
  crossOriginEndpoint: (path: string) => boolean = () => false,
): (origin: string | undefined, host: string | undefined, path: string) => boolean {
  const origins = new Set(allowed.map((o) => o.toLowerCase()));
  // OAuth metadata, registration, token and revocation are made for clients in browsers too (oidc-provider answers their CORS).
  return (origin, host, path) => origin === undefined || origins.has(origin.toLowerCase()) || sameOrigin(origin, host) || crossOriginEndpoint(path);
}

export const originRefusal = (origin: string): string => `Origin ${JSON.stringify(origin)} is not allowed; set ECN_ALLOWED_ORIGINS to serve pages from it`;

/** A page this server served (the dashboard) calling back: its origin is the Host it asked, already allow-listed. */
function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    const url = new URL(origin);
    return host !== undefined && (url.protocol === "http:" || url.protocol === "https:") && url.host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

/** What a request authenticated as: its caller, what tool handlers see of it, and an OAuth connection's scopes. */
export interface Identified {
  caller: Caller;
  /** Handed to tool handlers as authInfo by the MCP transport: the org comes from here, never from arguments. */
  auth: { token: string; clientId: string; scopes: string[]; extra: { org: Caller["org"]; channel: CallChannel } };
  scopes?: Set<string>;
}

/** A request that did not authenticate: why, and the challenge to answer 401 with. */
export interface Unidentified {
  why: string;
  headers: Record<string, string>;
}

/**
 * The caller of a request: an API key (`ecn_sk_...`, on every route), or on
 * /mcp an OAuth access token of a connection. A refusal on /mcp carries the
 * challenge an OAuth client starts from (RFC 9728 resource metadata).
 */
export async function identify(keys: ApiKeys, oauth: OAuthGate, path: string, header: string): Promise<Identified | Unidentified> {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  const server = path === "/mcp" ? oauth.current : undefined;
  const refuse = (why: string, invalid: boolean): Unidentified => ({
    why,
    headers: {
      "WWW-Authenticate": server ? server.challenge(invalid ? { error: "invalid_token", description: why } : {}) : 'Bearer realm="ecn-mcp"',
    },
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
    const channel = { connectionId: null, apiKeyId: caller.keyId };
    return { caller, auth: { token: `key:${caller.keyId}`, clientId: caller.keyId, scopes: [], extra: { org: caller.org, channel } } };
  }
  if (!server) return refuse("OAuth access tokens are for /mcp; this route takes an API key as `Authorization: Bearer <key>`", true);
  const checked = await server.checkAccessToken(bearer);
  if (!checked.ok) return refuse(checked.why, true);
  const { org, connection, scopes } = checked;
  const channel = { connectionId: connection.id, apiKeyId: null };
  return {
    caller: { org, keyId: connection.id },
    auth: { token: `connection:${connection.id}`, clientId: connection.clientId, scopes: [...scopes], extra: { org, channel } },
    scopes,
  };
}

/** identify() as Express middleware: the caller (and an OAuth connection's scopes) on res.locals, what tools see on req.auth. */
export function requireCaller(keys: ApiKeys, oauth: OAuthGate): RequestHandler {
  return async (req, res, next) => {
    if (res.locals.caller) return next(); // the operator token, already resolved to the organisation it asked for
    try {
      const who = await identify(keys, oauth, req.path, req.headers.authorization ?? "");
      if ("why" in who) return sendError(res, 401, "unauthorized", who.why, who.headers);
      res.locals.caller = who.caller;
      if (who.scopes) res.locals.scopes = who.scopes;
      (req as { auth?: unknown }).auth = who.auth;
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
const PAID = new Set<string>(FEATURES);

/** The verdict on a parsed body: null when the connection (or an API key: no scopes) may send it. */
export function scopeRefusal(oauth: OAuthGate, scopes: Set<string> | undefined, body: unknown): Unidentified | null {
  const server = oauth.current;
  if (!scopes || !server) return null;
  const messages = (Array.isArray(body) ? body : [body]) as { method?: unknown; params?: { name?: unknown } }[];
  const callsPaid = messages.some((m) => m?.method === "tools/call" && typeof m.params?.name === "string" && PAID.has(m.params.name));
  const missing = !scopes.has(SCOPES.free) && !scopes.has(SCOPES.paid) ? "ecn-mcp's tools" : callsPaid && !scopes.has(SCOPES.paid) ? "paid tools" : null;
  if (!missing) return null;
  const why = `this connection was not allowed to use ${missing}: connect again and allow them`;
  return { why, headers: { "WWW-Authenticate": server.challenge({ error: "insufficient_scope", description: why, scope: `${SCOPES.free} ${SCOPES.paid}` }) } };
}

/** Compares two secrets in constant time (through fixed-length digests). */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
