/**
 * POST /mcp: Streamable HTTP, stateless. Every request gets a fresh server
 * (so any instance can answer any request: no sticky sessions, and nothing
 * of one caller's request is left in an object another's request uses) and
 * our exchange transport (exchange.ts). The response is an SSE stream, so
 * progress and logging notifications reach the client. Closing the
 * connection aborts the request's handlers: that is how a client cancels in
 * stateless mode.
 *
 * The endpoint is served without Express: Express's router, and the
 * prototypes it gives every request and response (which make Node's own
 * HTTP code slower on them), cost more CPU than the rest of a ping. The
 * guards are the Express app's own functions (guards.ts, operator.ts,
 * rate-limit.ts), run in the same order and answering the same way; the body
 * is read by the same parser (express.json). Only POST /mcp as clients send
 * it comes here; the other spellings Express matches (/mcp/, /MCP) go through
 * the Express app's guards to the same exchange (route()).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import express, { type Request, type RequestHandler } from "express";
import type { ApiKeys } from "../../accounts/api-keys.js";
import { isCrossOriginEndpoint } from "../../auth/index.js";
import { EcnError } from "../../errors.js";
import type { Logger } from "../../log.js";
import type { CallChannel, OrgRef } from "../../metering/types.js";
import { createServer, type Extra, type ServerDeps } from "../create-server.js";
import { ExchangeTransport } from "../sdk-internals.js";
import { errorBody, failureAnswer, sendError, sendJson, type HttpErrorCode } from "./errors.js";
import { readExchange } from "./exchange.js";
import { callerOf, hostCheck, hostRefusal, identify, originCheck, originRefusal, scopeRefusal, type Identified } from "./guards.js";
import type { Metrics } from "./metrics.js";
import type { OAuthGate } from "./oauth-gate.js";
import { isOperatorToken, OPERATOR_ON_MCP } from "./operator.js";
import type { RateLimiter } from "./rate-limit.js";
import { watchRequest } from "./watch.js";

/** The organisation of the authenticated API key, as the auth guard put it on the request. */
export async function orgFromAuth(extra: Extra): Promise<OrgRef> {
  const org = (extra.authInfo?.extra as { org?: OrgRef } | undefined)?.org;
  if (!org) throw new EcnError("unauthorized", "this request carries no authenticated API key");
  return org;
}

/** The connection or API key the request came through, as the auth guard put it on the request. */
export function channelFromAuth(extra: Extra): CallChannel | undefined {
  return (extra.authInfo?.extra as { channel?: CallChannel } | undefined)?.channel;
}

export interface McpEndpointOptions {
  deps: Omit<ServerDeps, "resolveOrg">;
  keys: ApiKeys;
  oauth: OAuthGate;
  limiter: RateLimiter;
  adminToken: string | undefined;
  bodyLimitBytes: number;
  allowedHosts: readonly string[];
  allowedOrigins: readonly string[];
  metrics: Metrics | undefined;
  logger: Logger;
}

/** How the exchange answers: refusals with our code (counted), JSON-RPC errors of the transport's own, failures. */
interface Answers {
  refuse: (status: number, code: HttpErrorCode, message: string, headers?: Record<string, string>) => void;
  json: (status: number, body: unknown) => void;
  fail: (error: unknown) => void;
}

/** Who the exchange is for, as the guards found. */
interface Authenticated {
  caller: Identified["caller"];
  auth: AuthInfo | undefined;
  scopes: Set<string> | undefined;
}

const PATH = "/mcp";
const rpcError = (code: number, message: string) => ({ jsonrpc: "2.0", error: { code, message }, id: null });

export class McpEndpoint {
  private readonly allowsHost: (host: string | undefined) => boolean;
  private readonly allowsOrigin: (origin: string | undefined, host: string | undefined, path: string) => boolean;
  private readonly readJson: RequestHandler;
  private readonly serverDeps: ServerDeps;

  constructor(private readonly options: McpEndpointOptions) {
    this.allowsHost = hostCheck(options.allowedHosts);
    this.allowsOrigin = originCheck(options.allowedOrigins, isCrossOriginEndpoint);
    this.readJson = express.json({ limit: options.bodyLimitBytes });
    this.serverDeps = { ...options.deps, resolveOrg: orgFromAuth, resolveChannel: channelFromAuth };
  }

  /** The requests served here rather than by Express: POST /mcp as clients send it (a query string aside). */
  static owns(req: IncomingMessage): boolean {
    return req.method === "POST" && (req.url === PATH || req.url?.startsWith(`${PATH}?`) === true);
  }

  /** Serves a request `owns` took: the guards, in the Express app's order, then the exchange. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    let route = "unmatched";
    let errorCode: string | undefined;
    let channel: CallChannel | undefined;
    const answers: Answers = {
      refuse: (status, code, message, headers = {}) => {
        errorCode = code;
        sendJson(res, status, errorBody(PATH, code, message), headers);
      },
      json: (status, body) => sendJson(res, status, body),
      fail: (error) => {
        // As Express does once an answer has begun: the connection is cut, the client sees the answer end early.
        if (res.headersSent) return void req.socket.destroy();
        const answer = failureAnswer(error, this.options.logger, { method: "POST", path: PATH });
        answers.refuse(answer.status, answer.code, answer.message);
      },
    };
    const { host, origin, authorization } = req.headers;
    if (!this.allowsHost(host)) return answers.refuse(403, "forbidden_host", hostRefusal(host));
    if (!this.allowsOrigin(origin, host, PATH)) return answers.refuse(403, "forbidden_origin", originRefusal(origin!));
    watchRequest(this.options.metrics, this.options.logger, req, res, () => ({ route, path: PATH, errorCode, channel }));
    const { keys, oauth, limiter, adminToken } = this.options;
    void (async () => {
      if (isOperatorToken(adminToken, authorization)) return answers.refuse(403, "forbidden", OPERATOR_ON_MCP);
      const who = await identify(keys, oauth, PATH, authorization ?? "");
      if ("why" in who) return answers.refuse(401, "unauthorized", who.why, who.headers);
      channel = who.auth.extra.channel;
      if (!(await limiter.admits(who.caller, 1, channel, answers.refuse))) return;
      route = PATH;
      await this.exchange(req, res, { caller: who.caller, auth: who.auth, scopes: who.scopes }, answers);
    })().catch(answers.fail);
  }

  /** The exchange for the spellings of /mcp Express matches, once the Express app's guards let the request through. */
  route(): RequestHandler {
    return (req, res, next) => {
      const answers: Answers = {
        refuse: (status, code, message, headers) => sendError(res, status, code, message, headers),
        json: (status, body) => void res.status(status).json(body),
        fail: next,
      };
      const auth = (req as { auth?: AuthInfo }).auth;
      const scopes = res.locals.scopes as Set<string> | undefined;
      this.exchange(req, res, { caller: callerOf(res), auth, scopes }, answers).catch(next);
    };
  }

  /** The body, the connection's scope, a batch's further messages against the rate limit, then the messages to a server of their own. */
  private async exchange(req: IncomingMessage, res: ServerResponse, who: Authenticated, answers: Answers): Promise<void> {
    const unreadable = await this.readBody(req, res);
    if (unreadable !== undefined) {
      // A body that is not JSON is a JSON-RPC parse error (-32700), as a JSON-RPC client expects.
      if ((unreadable as { type?: string }).type === "entity.parse.failed")
        return answers.json(400, rpcError(-32700, "Parse error: the request body is not valid JSON"));
      return answers.fail(unreadable);
    }
    const body = (req as { body?: unknown }).body;
    const scope = scopeRefusal(this.options.oauth, who.scopes, body);
    if (scope) return answers.refuse(403, "forbidden", scope.why, scope.headers);
    const further = Array.isArray(body) ? body.length - 1 : 0;
    if (further > 0) {
      const channel = (who.auth?.extra as { channel?: CallChannel } | undefined)?.channel;
      if (!(await this.options.limiter.admits(who.caller, further, channel, answers.refuse))) return;
    }
    // A body express.json parsed passed this very check already (its type test is the same).
    if (body === undefined && !isJson(req)) return answers.json(415, rpcError(-32000, "Unsupported Media Type: Content-Type must be application/json"));
    const messages = readExchange(req, body);
    if (!Array.isArray(messages)) return answers.json(messages.status, rpcError(messages.code, messages.message));
    const server = createServer(this.serverDeps);
    const transport = new ExchangeTransport(req, res, messages, who.auth);
    res.on("close", () => {
      // Every request answered: no handler is left to abort, and closing would only cost the SDK's bookkeeping.
      if (transport.answered) return;
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    transport.deliver();
  }

  /** Reads the JSON body onto req.body with express.json (its limit, charset, encodings and strict JSON); the error it met, if any. */
  private readBody(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    return new Promise((resolve) => void this.readJson(req as Request, res as Parameters<RequestHandler>[1], resolve));
  }
}

/** Express's `req.is("application/json")`, on a request Express never saw. */
function isJson(req: IncomingMessage): boolean {
  return !!express.request.is.call(req, "application/json");
}
