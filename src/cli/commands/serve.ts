import type { Command } from "commander";
import { checkDatabaseUrl } from "../../config.js";
import { snapshotAtStart } from "../../audit/key-usage.js";
import { listenForStripe } from "../../billing/receiver.js";
import { createServer } from "../../server/create-server.js";
import { serveStdio } from "../../server/stdio.js";
import { createApp } from "../app.js";
import { startSweeps } from "./reconcile.js";
import { currentConfig, reportFailure, withSandbox } from "../runner.js";

/** What a sandbox organisation is topped up to at start when its wallet is empty. */
const SANDBOX_CREDITS = 1_000_000_000n; // 1,000 credits

/** The stdio MCP server: what an MCP client launches (`ecn-mcp` with no verb). */
async function stdio(options: { sandbox?: boolean }): Promise<void> {
  let app;
  try {
    app = await createApp(withSandbox(options), { serve: "stdio" });
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
    app.billing.start();
    // The stdio sandbox serves no HTTP: a loopback listener takes the simulated Stripe's webhook, so a purchase arrives.
    const receiver = app.sandboxListening ? await listenForStripe(app.billing) : null;
    if (receiver) app.sandboxListening?.(receiver.url);
    const server = createServer({ metering, accounts, publicData, billing: app.billing, logger, resolveOrg: async () => org });
    const closeApp = app.close;
    await serveStdio({
      server,
      metering,
      logger,
      close: async () => {
        await receiver?.close();
        await closeApp();
      },
    });
  } catch (error) {
    await app?.close().catch(() => undefined);
    reportFailure(error);
  }
}

export function registerServeCommands(program: Command): void {
  program
    .command("stdio", { isDefault: true })
    .option("--sandbox", "simulated providers and a separate sandbox ledger: no keys, no real money (same as ECN_SANDBOX=1)")
    .description("serve MCP over stdio (the default)")
    .action(stdio);
  program
    .command("demo")
    .option("--database-url <url>", "run on this PostgreSQL database (in a new organisation) instead of a throwaway SQLite file")
    .description("run the whole loop against simulated providers in a throwaway ledger (no keys, no network)")
    .action(async (options: { databaseUrl?: string }) => {
      try {
        // The demo's simulators and MCP client load only for the demo.
        const { runDemo } = await import("../demo/run.js");
        const databaseUrl = options.databaseUrl === undefined ? undefined : checkDatabaseUrl(options.databaseUrl, "--database-url");
        await runDemo(currentConfig(), { databaseUrl });
      } catch (error) {
        reportFailure(error);
      }
    });
}
