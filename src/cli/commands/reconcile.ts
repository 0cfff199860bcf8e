import type { Command } from "commander";
import type { App } from "../app.js";
import { respond } from "../output.js";
import type { AppRunner } from "../runner.js";

/** The start-up sweep: runs in the background and logs what it did (it may wait on providers). */
export function sweepOnStart(app: App): void {
  void app.reconcile().then(
    (report) => {
      const acted = report.filter((r) => r.action !== "too_recent");
      if (acted.length) app.logger.info("reconciled calls left open", { calls: acted.length, actions: acted.map((r) => `${r.tool_call_id}:${r.action}`) });
    },
    (error: unknown) => app.logger.warn("start-up reconcile failed", { error: String(error) }),
  );
}

export function registerReconcileCommand(program: Command, withApp: AppRunner): void {
  program
    .command("reconcile")
    .option("--json", "machine-readable output")
    .description("settle or void paid calls left held, dispatched or unknown (safe beside running servers)")
    .action(
      withApp(async (app, options: { json?: boolean }) => {
        const report = await app.reconcile();
        respond(
          options,
          report,
          ["call", "feature", "was", "action", "cost (USD)", "charged (credits)", "note"],
          report.map((r) => [r.tool_call_id, r.feature, r.from_state, r.action, r.cost_usd, r.credits_charged, r.note]),
        );
        if (!options.json) console.log(report.length ? `${report.length} open call(s) examined.` : "No open calls: nothing to reconcile.");
      }),
    );
}
