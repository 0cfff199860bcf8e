import { ConfigError } from "../../errors.js";
import { serveHttp } from "../../server/http/serve.js";
import { createDashboardApp } from "../../server/http/dashboard/standalone.js";
import { createApp } from "../app.js";
import { dashboardParts } from "../dashboard-parts.js";
import { parsePositiveInt } from "../parse.js";
import { currentConfig, reportFailure } from "../runner.js";

const HOST = "127.0.0.1";

/**
 * `ecn-mcp dashboard`: the dashboard alone, on this machine only, for whoever
 * owns this ledger. It prints a sign-in link that works once; tenants can
 * still sign in with their own keys, and the operator with ECN_ADMIN_TOKEN.
 */
export async function dashboard(options: { port: string }): Promise<void> {
  try {
    const port = options.port === "0" ? 0 : parsePositiveInt(options.port, "--port", 65_535);
    const app = await createApp(await currentConfig());
    const parts = dashboardParts(app);
    const httpApp = createDashboardApp({ ...parts, logger: app.logger, allowedHosts: ["127.0.0.1", "localhost"] });
    const running = await serveHttp({ app: httpApp, host: HOST, port, metering: app.metering, logger: app.logger, close: app.close }).catch(
      async (error: unknown) => {
        await app.close();
        const code = (error as { code?: string }).code;
        if (code === "EADDRINUSE" || code === "EACCES") throw new ConfigError(`cannot listen on ${HOST}:${options.port} (${code}); choose another --port`);
        throw error;
      },
    );
    console.log(`ecn-mcp dashboard on ${running.url}/dashboard/`);
    console.log(`Sign in as the operator (link works once, for 10 minutes): ${running.url}/dashboard/sign-in?token=${parts.viewers.oneTimeLink()}`);
    console.log("Stop with Ctrl-C.");
    await running.stopped;
  } catch (error) {
    reportFailure(error);
  }
}
