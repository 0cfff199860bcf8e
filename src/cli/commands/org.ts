import type { Command } from "commander";
import { EcnError } from "../../errors.js";
import { microToCredits } from "../../money.js";
import { withLedger } from "../runner.js";
import { VERBS } from "../verbs.js";
import { isoTime, respond, respondList, wroteTo } from "../output.js";

export function register(program: Command): void {
  const org = program.command("org").description(VERBS.org.summary);

  org
    .command("create")
    .argument("<name>", "unique organisation name")
    .option("--json", "machine-readable output")
    .description("create an organisation and its empty wallet")
    .action(
      withLedger(async (app, name: string, options: { json?: boolean }) => {
        if (!/^[\w.@-]{1,100}$/.test(name)) {
          throw new EcnError("invalid_input", "an organisation name is 1-100 letters, digits, '.', '_', '@' or '-'");
        }
        const created = await app.ledger.createOrg(name, Date.now());
        respond(
          options,
          { id: created.id, name: created.name, created_at: isoTime(created.createdAt), ledger: app.location },
          ["id", "name", "created"],
          [[created.id, created.name, isoTime(created.createdAt)]],
        );
        wroteTo(options, app.location);
      }),
    );

  org
    .command("list")
    .option("--json", "machine-readable output")
    .description("list organisations with their balances")
    .action(
      withLedger(async (app, options: { json?: boolean }) => {
        const orgs = await app.ledger.listOrgs();
        const rows = await Promise.all(orgs.map(async (o) => ({ org: o, wallet: await app.ledger.getWallet(o.id) })));
        respondList(
          options,
          rows.map(({ org: o, wallet }) => ({
            id: o.id,
            name: o.name,
            balance_credits: microToCredits(wallet.balanceMicroCredits),
            created_at: isoTime(o.createdAt),
          })),
          ["id", "name", "balance (credits)", "created"],
          rows.map(({ org: o, wallet }) => [o.id, o.name, microToCredits(wallet.balanceMicroCredits), isoTime(o.createdAt)]),
          `No organisations in ${app.location} yet. Create one with: ecn-mcp org create <name>`,
        );
      }),
    );
}
