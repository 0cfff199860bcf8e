import { ApiKeys } from "../../accounts/api-keys.js";
import { LedgerHealth } from "../../fleet/health.js";
import { snapshotAtStart } from "../../audit/key-usage.js";
import { createOAuthServer } from "../../auth/index.js";
import { formatDecimal } from "../../money.js";
import { createHttpApp } from "../../server/http/app.js";
import { OAuthGate } from "../../server/http/oauth-gate.js";
import { Metrics } from "../../server/http/metrics.js";
import { rateCounter } from "../../ledger/rate-limits.js";
import { perMinute } from "../../server/http/rate-limit.js";
import { serveHttp } from "../../server/http/serve.js";
import { createApp } from "../app.js";
import { parsePositiveInt } from "../parse.js";
import { ConfigError } from "../../errors.js";
import { classifyFailure, logFailure } from "../../failures.js";
import { reportFailure, withSandbox } from "../runner.js";
import { dashboardParts } from "../dashboard-parts.js";
import { startSweeps } from "./reconcile.js";

export interface HttpOptions {
  host: string;
  port: string;
  allowedHosts?: string;
  sandbox?: boolean;
}

/** `ecn-mcp http`: Streamable HTTP MCP and the REST credit API, for many organisations. */
export async function http(options: HttpOptions): Promise<void> {
  try {
    const config = await withSandbox(options);
    const port = options.port === "0" ? 0 : parsePositiveInt(options.port, "--port", 65_535);
    // Metrics are kept only when they can be read (a metrics token): otherwise every paid call would time itself for nobody.
    const metrics = config.http.metricsToken ? new Metrics() : undefined;
    const app = await createApp(config, metrics ? { observe: metrics.observe, timer: metrics.timer, serve: "http" } : { serve: "http" });
    // Asked of the engine, not by class: the PostgreSQL store's modules (pg) load only when it is the one configured.
    const engine = app.ledger.engine;
    if (metrics && engine.dialect === "postgres") metrics.watchPool(() => engine.stats);
    const configuredHosts = options.allowedHosts
      ? options.allowedHosts
          .split(",")
          .map((h) => h.trim().toLowerCase())
          .filter(Boolean)
      : config.http.allowedHosts;
    // The host the public URL names is one the server answers to, whatever else is allowed.
    const publicHost = config.oauth.publicUrl ? new URL(config.oauth.publicUrl).hostname.toLowerCase() : undefined;
    const allowedHosts = publicHost && !configuredHosts.includes(publicHost) ? [...configuredHosts, publicHost] : configuredHosts;
    // OpenRouter's key usage now, so a cost audit can compare what was billed from here on (never stops the start).
    await Promise.all([app.metering.prices.warm(), snapshotAtStart(app.ledger, app.openrouterAudit, app.logger)]);
    // Several instances on one database take over a dead one's calls without anybody running reconcile.
    startSweeps(app);
    const health = new LedgerHealth(app.ledger);
    const keys = new ApiKeys(app.ledger);
    const dashboard = dashboardParts(app, keys);
    const oauth = new OAuthGate();
    const httpApp = createHttpApp({
      deps: {
        metering: app.metering,
        accounts: app.accounts,
        publicData: app.publicData,
        billing: app.billing,
        logger: app.logger,
        onToolCall: metrics?.onToolCall,
        tracing: app.tracing,
        tasks: app.tasks,
      },
      billing: app.billing,
      keys,
      ledger: app.ledger,
      adminToken: config.http.adminToken,
      dashboard,
      oauth,
      logger: app.logger,
      metrics,
      allowedHosts,
      allowedOrigins: config.http.allowedOrigins,
      bodyLimitBytes: config.http.bodyLimitBytes,
      rateLimitPerMinute: config.http.rateLimitPerMinute,
      orgRateLimitPerMinute: config.http.orgRateLimitPerMinute,
      rateCounter: perMinute((options) => rateCounter(app.ledger, options)),
      metricsToken: config.http.metricsToken,
      health: () => health.check(),
    });
    const running = await serveHttp({
      app: httpApp,
      host: options.host,
      port,
      metering: app.metering,
      tasks: app.tasks,
      logger: app.logger,
      close: app.close,
      keepAliveMs: config.http.keepAliveMs,
    }).catch(async (error: unknown) => {
      await app.close();
      const code = (error as { code?: string }).code;
      if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
        throw new ConfigError(`cannot listen on ${options.host}:${options.port} (${code}); choose another --host or --port`);
      }
      throw error;
    });
    // The public URL names every OAuth document, the issuer and every token's audience: known once the port is.
    const publicUrl = config.oauth.publicUrl ?? running.url;
    if (!config.oauth.publicUrl && /^http:\/\/(0\.0\.0\.0|\[::\])/.test(running.url)) {
      app.logger.warn("listening on every address but ECN_PUBLIC_URL is not set: OAuth clients need the URL they reach this server at", { url: running.url });
    }
    const buildOAuth = () =>
      createOAuthServer({
        publicUrl,
        oauth: config.oauth,
        ledger: app.ledger,
        keys,
        creditUsdValue: formatDecimal(config.creditUsdValue),
        dashboardOrg: async (req) => {
          const viewer = await dashboard.viewers.ofRequest(req);
          return viewer === null ? null : viewer.kind === "operator" ? "operator" : viewer.org;
        },
        logger: app.logger,
      });
    try {
      // A ledger that cannot be written does not stop the server (it reports itself unhealthy): OAuth is retried at its next request.
      await oauth.start(buildOAuth, (error) =>
        logFailure(
          app.logger,
          classifyFailure(error),
          "the authorization server could not be built; its routes answer 503 and it is tried again at the next OAuth request",
        ),
      );
    } catch (error) {
      await running.stop("the authorization server could not start");
      throw error;
    }
    app.billing.servedAt(running.url);
    app.sandboxListening?.(`${running.url}/api/v1/stripe/webhook`);
    // Alerts, recharges and webhook deliveries left by any instance (or a dead one) are taken up here too.
    app.billing.start();
    console.log(
      `ecn-mcp HTTP server listening on ${running.url} (MCP at ${running.url}/mcp, dashboard at ${running.url}/dashboard/; OAuth issuer ${publicUrl}; allowed hosts: ${allowedHosts.join(", ")})`,
    );
    await running.stopped;
  } catch (error) {
    reportFailure(error);
  }
}
