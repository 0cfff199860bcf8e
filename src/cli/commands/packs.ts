/** `ecn-mcp packs set|list`: the credit packs customers can buy through Stripe Checkout. */
import type { Command } from "commander";
import { EcnError } from "../../errors.js";
import { microToCredits } from "../../money.js";
import type { LedgerApp } from "../ledger-app.js";
import { respondList, wroteTo } from "../output.js";
import { parseCents, parseCredits } from "../parse.js";
import { withLedger } from "../runner.js";
import { VERBS } from "../verbs.js";

async function listPacks(app: LedgerApp, options: { json?: boolean }): Promise<void> {
  const rows = (await app.ledger.billing.listPacks()).map((p) => ({ name: p.name, credits: microToCredits(p.microCredits), usd: p.usdCents / 100 }));
  respondList(
    options,
    rows,
    ["pack", "credits", "usd"],
    rows.map((r) => [r.name, r.credits, r.usd.toFixed(2)]),
    `No credit packs in ${app.location} yet: nothing can be bought. Add one with: ecn-mcp packs set starter --credits 1000 --usd 10`,
  );
}

export function register(program: Command): void {
  const packs = program.command("packs").description(VERBS.packs.summary);
  packs
    .command("set NAME")
    .requiredOption("--credits <n>", "credits the pack adds")
    .requiredOption("--usd <x>", "its price in US dollars (at least 0.50, Stripe's minimum)")
    .option("--json", "machine-readable output")
    .description("create or change a pack")
    .action(
      withLedger(async (app, name: string, options: { credits: string; usd: string; json?: boolean }) => {
        if (!/^[a-z0-9][a-z0-9_-]{0,39}$/i.test(name)) throw new EcnError("invalid_input", "a pack name is 1 to 40 letters, digits, _ or - (e.g. starter)");
        const micro = parseCredits(options.credits, "--credits");
        const cents = parseCents(options.usd, "--usd");
        if (micro <= 0n) throw new EcnError("invalid_input", "--credits must be more than 0");
        if (cents < 50) throw new EcnError("invalid_input", "--usd must be at least 0.50: Stripe charges no less");
        await app.ledger.billing.setPack(name, micro, cents, Date.now());
        await listPacks(app, options);
        wroteTo(options, app.location);
      }),
    );
  packs.command("list").option("--json", "machine-readable output").description("list the packs for sale").action(withLedger(listPacks));
}
