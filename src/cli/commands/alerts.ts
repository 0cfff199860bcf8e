/** `ecn-mcp alerts [--org]` and `alerts set`: the alerts raised, and an organisation's balance alert levels. */
import type { Command } from "commander";
import { EcnError } from "../../errors.js";
import { ALERT_TYPES } from "../../ledger/billing-types.js";
import { isoTime, printJson, respondList, wroteTo } from "../output.js";
import { requireOrg } from "../parse.js";
import { withLedger } from "../runner.js";
import { VERBS } from "../verbs.js";

function describe(data: Record<string, unknown>): string {
  return Object.entries(data)
    .filter(([k]) => k !== "org_id")
    .map(([k, v]) => `${k}=${typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : JSON.stringify(v)}`)
    .join(" ");
}

export function register(program: Command): void {
  const alerts = program
    .command("alerts")
    .option("--org <org>", "one organisation only")
    .option("--limit <n>", "how many, newest first", "50")
    .option("--json", "machine-readable output")
    .description(VERBS.alerts.summary)
    .action(
      withLedger(async (app, options: { org?: string; limit: string; json?: boolean }) => {
        const org = options.org ? await requireOrg(app.ledger, options.org) : null;
        const limit = Math.min(500, Math.max(1, Number.parseInt(options.limit, 10) || 50));
        const rows = (await app.ledger.billing.billingEvents(org?.id ?? null, ALERT_TYPES, limit)).map((e) => {
          const body = JSON.parse(e.payload) as { data: Record<string, unknown> };
          return { id: e.id, org_id: e.orgId, type: e.type, at: isoTime(e.createdAt), data: body.data };
        });
        respondList(
          options,
          rows,
          ["when", "org", "alert", "details"],
          rows.map((r) => [r.at, r.org_id, r.type, describe(r.data)]),
          `No alerts${org ? ` for ${org.name}` : ""} in ${app.location} yet. Balance alerts fire at 20% and 5% of the last top-up by default ` +
            `(choose with: ecn-mcp alerts set --org ${org?.name ?? "<org>"} --balance-pct 20,5); budgets alert at 80% and 100%`,
        );
      }),
    );
  alerts
    .command("set")
    .requiredOption("--org <org>", "organisation id or name")
    .requiredOption("--balance-pct <list>", "balance alert levels in percent of the last top-up, e.g. 20,5 (depleted is always on)")
    .option("--json", "machine-readable output")
    .description("choose an organisation's balance alert levels")
    .action(
      withLedger(async (app, options: { org: string; balancePct: string; json?: boolean }) => {
        const org = await requireOrg(app.ledger, options.org);
        const pcts = options.balancePct.split(",").map((p) => Number(p.trim()));
        if (pcts.some((p) => !Number.isInteger(p) || p < 1 || p > 100))
          throw new EcnError("invalid_input", "--balance-pct takes whole percents from 1 to 100, e.g. 20,5");
        await app.ledger.billing.setBalanceAlerts(org.id, pcts, Date.now());
        if (options.json) printJson({ org: org.name, balance_pcts: pcts, ledger: app.location });
        else console.log(`balance alerts of ${org.name}: ${pcts.join("%, ")}% of the last top-up, and depleted`);
        wroteTo(options, app.location);
      }),
    );
}
