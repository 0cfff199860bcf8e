import { snapshotAtStart } from "../../audit/key-usage.js";
import { createServer } from "../../server/create-server.js";
import { serveStdio } from "../../server/stdio.js";
import { createApp } from "../app.js";
import { startSweeps } from "./reconcile.js";
import { reportFailure, withSandbox } from "../runner.js";

/** What a sandbox organisation is topped up to at start when its wallet is empty. */
const SANDBOX_CREDITS = 1_000_000_000n; // 1,000 credits

/** The stdio MCP server: what an MCP client launches (`ecn-mcp` with no verb). */
export async function stdio(options: { sandbox?: boolean }): Promise<void> {
  let app;
  try {
    app = await createApp(await withSandbox(options), { serve: "stdio" });
    const { ledger, metering, accounts, publicData, logger, config } = app;
    const org = await ledger.ensureOrg(config.org, Date.now());
    if (config.sandbox && (await ledger.getWallet(org.id)).balanceMicroCredits <= 0n) {
      await ledger.grantCredits(org.id, SANDBOX_CREDITS, "sandbox credits (not money)", Date.now());
    }
    logger.info("serving MCP over stdio", {
      org: org.name,
      db: config.dbPath,
      mode: config.deploymentMode,
      openrouter: config.openrouter.apiKey ? "configured" : "not configured",
    });
    // OpenRouter's key usage now, so a cost audit can compare what was billed from here on (never stops the start).
    await Promise.all([metering.prices.warm(), snapshotAtStart(ledger, app.openrouterAudit, logger)]);
    startSweeps(app);
    const server = createServer({ metering, accounts, publicData, logger, resolveOrg: async () => org });
    await serveStdio({ server, metering, logger, close: app.close });
  } catch (error) {
    await app?.close().catch(() => undefined);
    reportFailure(error);
  }
}
