import type { Command } from "commander";
import { checkDatabaseUrl } from "../../config.js";
import { createServer } from "../../server/create-server.js";
import { serveStdio } from "../../server/stdio.js";
import { createApp } from "../app.js";
import { startSweeps } from "./reconcile.js";
import { currentConfig, reportFailure } from "../runner.js";

/** The stdio MCP server: what an MCP client launches (`ecn-mcp` with no verb). */
async function stdio(): Promise<void> {
  let app;
  try {
    app = await createApp(currentConfig(), { serve: "stdio" });
    const { ledger, metering, accounts, publicData, logger, config } = app;
    const org = await ledger.ensureOrg(config.org, Date.now());
    logger.info("serving MCP over stdio", {
      org: org.name,
      db: config.dbPath,
      mode: config.deploymentMode,
      openrouter: config.openrouter.apiKey ? "configured" : "not configured",
    });
    await metering.prices.warm();
    startSweeps(app);
    const server = createServer({ metering, accounts, publicData, logger, resolveOrg: async () => org });
    await serveStdio({ server, metering, logger, close: app.close });
  } catch (error) {
    await app?.close().catch(() => undefined);
    reportFailure(error);
  }
}

export function registerServeCommands(program: Command): void {
  program.command("stdio", { isDefault: true }).description("serve MCP over stdio (the default)").action(stdio);
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
