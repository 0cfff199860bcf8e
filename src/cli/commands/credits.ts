import type { Command } from "commander";
import { microToCredits } from "../../money.js";
import { respond, wroteTo } from "../output.js";
import { parseCredits, requireOrg } from "../parse.js";
import { withLedger } from "../runner.js";
import { VERBS } from "../verbs.js";

export function register(program: Command): void {
  const credits = program.command("credits").description(VERBS.credits.summary);

  credits
    .command("grant")
    .requiredOption("--org <org>", "organisation id or name")
    .requiredOption("--credits <n>", "credits to add, e.g. 10 or 2.5")
    .option("--note <text>", "why (kept on the transaction)")
    .option("--json", "machine-readable output")
    .description("add credits to an organisation's wallet (an append-only grant transaction)")
    .action(
      withLedger(async (app, options: { org: string; credits: string; note?: string; json?: boolean }) => {
        const amount = parseCredits(options.credits, "--credits");
        const org = await requireOrg(app.ledger, options.org);
        await app.ledger.grantCredits(org.id, amount, options.note ?? null, Date.now());
        const view = await app.accounts.wallet(org.id);
        respond(
          options,
          { ...view, org_name: org.name, granted_credits: microToCredits(amount), ledger: app.location },
          ["org", "granted", "balance", "held", "available"],
          [[org.name, microToCredits(amount), view.balance_credits, view.held_credits, view.available_credits]],
        );
        wroteTo(options, app.location);
      }),
    );

  program
    .command("wallet")
    .requiredOption("--org <org>", "organisation id or name")
    .option("--json", "machine-readable output")
    .description(VERBS.wallet.summary)
    .action(
      withLedger(async (app, options: { org: string; json?: boolean }) => {
        const org = await requireOrg(app.ledger, options.org);
        const view = await app.accounts.wallet(org.id);
        respond(
          options,
          { ...view, org_name: org.name },
          ["org", "balance (credits)", "held", "available", "credit value (USD)", "mode"],
          [[org.name, view.balance_credits, view.held_credits, view.available_credits, view.credit_usd_value, view.deployment_mode]],
        );
      }),
    );
}
