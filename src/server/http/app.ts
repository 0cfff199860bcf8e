/**
 * The HTTP application: guards first (Host, Origin), the OAuth documents,
 * endpoints and pages (src/auth), Stripe's webhook (its signature is its
 * authentication), checkout and the dashboard (their own sign-in), then the
 * operator token, an API key or an OAuth access token, the rate limit, the
 * MCP endpoint (with the connection's scope) and the REST credit API, JSON
 * errors last. POST /mcp, the paid path, is served beside Express by the
 * same guards in the same order (mcp.ts says why).
 */
import type { RequestListener } from "node:http";
import express, { type Express } from "express";
import type { Logger } from "../../log.js";
import type { HealthReport } from "../../fleet/health.js";
import type { ApiKeys } from "../../accounts/api-keys.js";
import type { ServerDeps } from "../create-server.js";
import type { CallChannel } from "../../metering/types.js";
import type { Billing } from "../../billing/billing.js";
import { billingRoutes } from "./billing-routes.js";
import { errorHandler, sendError } from "./errors.js";
import { isCrossOriginEndpoint } from "../../auth/index.js";
import { allowHosts, allowOrigins, requireCaller, sameSecret } from "./guards.js";
import type { OAuthGate } from "./oauth-gate.js";
import type { Ledger } from "../../ledger/index.js";
import type { Dashboard } from "../../reports/dashboard.js";
import type { DashboardAssets } from "./dashboard/assets.js";
import { dashboardRoutes } from "./dashboard/routes.js";
import type { Viewers } from "./dashboard/viewers.js";
import { McpEndpoint } from "./mcp.js";
import { operatorToken } from "./operator.js";
import type { Metrics } from "./metrics.js";
import { memoryRateCounter } from "../../ledger/rate-limits.js";
import { perMinute, RateLimiter, type RateCounterFactory } from "./rate-limit.js";
import { restRoutes } from "./rest.js";
import { watchRequest } from "./watch.js";

export interface HttpAppOptions {
  deps: Omit<ServerDeps, "resolveOrg">;
  keys: ApiKeys;
  logger: Logger;
  /** Prometheus metrics: kept only with a metrics token, as nothing else could read them. */
  metrics: Metrics | undefined;
  allowedHosts: readonly string[];
  /** Browser origins served (none by default); requests without an Origin header always are. */
  allowedOrigins: readonly string[];
  bodyLimitBytes: number;
  /** Requests a minute per API key, and per organisation (all its keys together). */
  rateLimitPerMinute: number;
  orgRateLimitPerMinute: number;
  /** Where the rate limit's counters are kept (default: in this process); shared by every instance on PostgreSQL. */
  rateCounter?: RateCounterFactory;
  metricsToken: string | undefined;
  /** The ledger's real state, for /healthz. */
  health: () => Promise<HealthReport>;
  /** The operator's token (ECN_ADMIN_TOKEN): reads every organisation, calls no tool. */
  adminToken: string | undefined;
  ledger: Ledger;
  /** The dashboard at /dashboard/ and its data under /api/v1/dashboard/. */
  dashboard: { dashboard: Dashboard; viewers: Viewers; assets: DashboardAssets };
  /** The authorization server, once it is built (see OAuthGate). */
  oauth: OAuthGate;
  /** Stripe's webhook, checkout, and the dashboard's billing data. */
  billing: Billing;
}

/** The request listener of `ecn-mcp http`: POST /mcp by the MCP endpoint, everything else by the Express app. */
export function createHttpApp(options: HttpAppOptions): RequestListener {
  const local = perMinute(memoryRateCounter);
  const limiter = new RateLimiter({
    perKey: options.rateLimitPerMinute,
    perOrg: options.orgRateLimitPerMinute,
    counter: options.rateCounter ?? local,
    localCounter: local,
    logger: options.logger,
  });
  const mcp = new McpEndpoint({ ...options, limiter });
  const app = expressApp(options, limiter, mcp);
  return (req, res) => (McpEndpoint.owns(req) ? mcp.handle(req, res) : void app(req, res));
}

function expressApp(options: HttpAppOptions, limiter: RateLimiter, mcp: McpEndpoint): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use(allowHosts(options.allowedHosts));
  app.use(allowOrigins(options.allowedOrigins, isCrossOriginEndpoint));
  app.use((req, res, next) => {
    watchRequest(options.metrics, options.logger, req, res, () => ({
      route: (req.route as { path?: string } | undefined)?.path ?? "unmatched",
      path: req.path,
      errorCode: res.locals.errorCode,
      channel: (req as { auth?: { extra?: { channel?: CallChannel } } }).auth?.extra?.channel,
    }));
    next();
  });

  app.get("/healthz", async (_req, res, next) => {
    try {
      const report = await options.health();
      res.status(report.status === "ok" ? 200 : 503).json(report);
    } catch (error) {
      next(error);
    }
  });
  app.get("/metrics", async (req, res) => {
    if (!options.metricsToken || !options.metrics) return sendError(res, 404, "not_found", "metrics are off: set ECN_METRICS_TOKEN to turn them on");
    if (!sameSecret(req.headers.authorization ?? "", `Bearer ${options.metricsToken}`)) {
      return sendError(res, 401, "unauthorized", "send ECN_METRICS_TOKEN as a bearer token", { "WWW-Authenticate": 'Bearer realm="ecn-mcp-metrics"' });
    }
    res.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });

  // What an OAuth client discovers and talks to: resource and authorization server metadata, /oauth/* and the sign-in pages.
  app.use(options.oauth.routes());

  // Stripe's webhook is authenticated by its signature, checkout and billing data like the dashboard's: before the API key guard.
  app.use(billingRoutes(options.billing, options.ledger, options.dashboard.viewers));
  app.use(dashboardRoutes(options.dashboard.dashboard, options.dashboard.viewers, options.dashboard.assets));

  app.use(operatorToken(options.adminToken, options.ledger));
  app.use(requireCaller(options.keys, options.oauth));
  app.use(limiter.perRequest());
  app.post("/mcp", mcp.route());
  app.all("/mcp", (_req, res) => sendError(res, 405, "method_not_allowed", "this server is stateless: POST JSON-RPC messages to /mcp", { Allow: "POST" }));
  app.use(restRoutes(options.deps.accounts));
  app.use((req, res) => sendError(res, 404, "not_found", `no route ${req.method} ${req.path}`));
  app.use(errorHandler(options.logger));
  return app;
}
