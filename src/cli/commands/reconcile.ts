import type { Command } from "commander";
import { storageFailure } from "../../ledger/index.js";
import type { App } from "../app.js";
import { respondList } from "../output.js";
import { withApp } from "../runner.js";
import { VERBS } from "../verbs.js";

/** Actions that change nothing and are not worth a log line. */
const QUIET = new Set(["too_recent", "left_to_owner"]);

/** One reconcile in a server, logging what it did; never throws. */
async function sweep(app: App, what: string): Promise<void> {
  try {
    const acted = (await app.reconcile("sweep")).filter((r) => !QUIET.has(r.action));
    if (acted.length)
      app.logger.info(`${what}: reconciled calls left open`, { calls: acted.length, actions: acted.map((r) => `${r.tool_call_id}:${r.action}`) });
  } catch (error) {
    if (storageFailure(error)) app.watch.failed();
    app.logger.warn(`${what} failed`, { error: String(error) });
  }
}

/**
 * A server's sweeps: one at start, in the background (it may wait on
 * providers), then one about every ECN_SWEEP_MS: dead instances' calls, and
 * the server's own calls it gave up on.
 */
export function startSweeps(app: App): void {
  void sweep(app, "start-up reconcile");
  app.instance?.sweepEvery(app.config.instances.sweepMs, () => sweep(app, "orphan sweep"));
}

export function register(program: Command): void {
  program
    .command("reconcile")
    .option("--json", "machine-readable output")
    .description(VERBS.reconcile.summary)
    .action(
      withApp(async (app, options: { json?: boolean }) => {
        const report = await app.reconcile();
        respondList(
          options,
          report,
          ["call", "feature", "was", "action", "cost (USD)", "charged (credits)", "why"],
          report.map((r) => [r.tool_call_id, r.feature, r.from_state, r.action, r.cost_usd, r.credits_charged, r.note]),
          `No open calls in ${app.location}: nothing to reconcile.`,
        );
        if (!options.json && report.length) console.log(`${report.length} open call(s) examined in ${app.location}.`);
      }),
    );
}
