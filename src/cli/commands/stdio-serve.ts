import { snapshotAtStart } from "../../audit/key-usage.js";
import { listenForStripe } from "../../billing/receiver.js";
import { createServer } from "../../server/create-server.js";
import { serveStdio } from "../../server/stdio.js";
import { createApp } from "../app.js";
import { startSweeps } from "./reconcile.js";
import { EXIT, reportFailure, withSandbox } from "../runner.js";

/** What a sandbox organisation is topped up to at start when its wallet is empty. */
const SANDBOX_CREDITS = 1_000_000_000n; // 1,000 credits

/** The stdio MCP server: what an MCP client launches (`ecn-mcp` with no verb). */
export async function stdio(options: { sandbox?: boolean }): Promise<void> {
  let app;
  try {
    app = await createApp(await withSandbox(options), { serve: "stdio" });
    const { ledger, metering, accounts, publicData, tasks, logger, config } = app;
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
    // The price list and OpenRouter's key usage now (so a cost audit can compare what was billed from here on)
    // are taken once the client's initialize can be answered: an MCP client starts this server at every launch
    // and waits for that answer. Every tool call waits for them, so no call runs before the start snapshot.
    const opened = app;
    let started: Promise<void> | undefined;
    const ready = () =>
      (started ??= Promise.all([metering.prices.warm(), snapshotAtStart(ledger, opened.openrouterAudit, logger)]).then(() => {
        startSweeps(opened);
        // Alerts, recharges and webhook deliveries left by any instance (or a dead one) are taken up here too.
        opened.billing.start();
      }));
    // The stdio sandbox serves no HTTP: a loopback listener takes the simulated Stripe's webhook, so a purchase arrives.
    const receiver = app.sandboxListening ? await listenForStripe(app.billing) : null;
    if (receiver) app.sandboxListening?.(receiver.url);
    const server = createServer({
      metering,
      accounts,
      publicData,
      tasks,
      billing: app.billing,
      logger,
      resolveOrg: async () => {
        await ready();
        return org;
      },
      // Spans name this server's instance as the connection: stdio has no API key or OAuth connection.
      tracing: app.tracing,
      connectionId: app.instance?.id,
    });
    // A message that could not be read or answered ends the server with a failure the client's log shows.
    const end = await serveStdio({
      server,
      metering,
      // A client that goes away leaves its task runs to finish here (within a run's deadline): any later session reads them.
      tasks,
      taskGraceMs: config.actorTimeoutMs,
      logger,
      onConnected: () => void ready().catch((error: unknown) => logger.error("could not load the price list at start", { error: String(error) })),
      // What the start began finishes before the ledger closes.
      close: async () => {
        await ready().catch(() => undefined);
        await receiver?.close();
        await opened.close();
      },
    });
    if (end === "unreadable_input") process.exitCode = EXIT.refused;
  } catch (error) {
    await app?.close().catch(() => undefined);
    reportFailure(error);
  }
}
