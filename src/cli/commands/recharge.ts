/** `ecn-mcp recharge set|off`: auto-recharge, charging the organisation's saved card when its balance runs low. */
import type { Command } from "commander";
import { microToCredits } from "../../money.js";
import { printJson, respond, wroteTo } from "../output.js";
import { parseCents, parseCredits, requireOrg } from "../parse.js";
import { withApp, withLedger } from "../runner.js";
import { VERBS } from "../verbs.js";

export function register(program: Command): void {
  const recharge = program.command("recharge").description(VERBS.recharge.summary);
  recharge
    .command("set")
    .requiredOption("--org <org>", "organisation id or name")
    .requiredOption("--below <n>", "recharge when a paid call leaves fewer credits than this")
    .requiredOption("--to <n>", "buy enough credits to reach this balance")
    .requiredOption("--max-month-usd <x>", "never charge more than this in a calendar month (UTC)")
    .option("--json", "machine-readable output")
    .description("turn auto-recharge on (or change it); the card saved by the organisation's last Checkout is charged off-session")
    .action(
      // The whole App: a balance already below the threshold is recharged now, through Stripe.
      withApp(async (app, options: { org: string; below: string; to: string; maxMonthUsd: string; json?: boolean }) => {
        const org = await requireOrg(app.ledger, options.org);
        const rule = await app.ledger.billing.setRecharge(
          {
            orgId: org.id,
            belowMicroCredits: parseCredits(options.below, "--below"),
            targetMicroCredits: parseCredits(options.to, "--to"),
            maxMonthUsdCents: parseCents(options.maxMonthUsd, "--max-month-usd"),
          },
          Date.now(),
        );
        await app.billing.runOnce();
        const view = {
          org: org.name,
          below_credits: microToCredits(rule.belowMicroCredits),
          to_credits: microToCredits(rule.targetMicroCredits),
          max_month_usd: rule.maxMonthUsdCents / 100,
          enabled: rule.enabled,
        };
        respond(
          options,
          view,
          ["org", "below", "to", "max/month (USD)", "on"],
          [[view.org, view.below_credits, view.to_credits, view.max_month_usd.toFixed(2), "yes"]],
        );
        wroteTo(options, app.location);
      }),
    );
  recharge
    .command("off")
    .requiredOption("--org <org>", "organisation id or name")
    .option("--json", "machine-readable output")
    .description("turn auto-recharge off")
    .action(
      withLedger(async (app, options: { org: string; json?: boolean }) => {
        const org = await requireOrg(app.ledger, options.org);
        const changed = await app.ledger.billing.rechargeOff(org.id, Date.now());
        if (options.json) printJson({ org: org.name, enabled: false, changed, ledger: app.location });
        else console.log(changed ? `auto-recharge of ${org.name} is off` : `auto-recharge of ${org.name} was already off`);
        if (changed) wroteTo(options, app.location);
      }),
    );
}
