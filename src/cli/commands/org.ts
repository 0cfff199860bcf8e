import type { Command } from "commander";
import { EcnError } from "../../errors.js";
import { microToCredits } from "../../money.js";
import type { AppRunner } from "../runner.js";
import { isoTime, respond } from "../output.js";

export function registerOrgCommands(program: Command, withApp: AppRunner): void {
  const org = program.command("org").description("organisations (each has one credit wallet)");

  org
    .command("create")
    .argument("<name>", "unique organisation name")
    .option("--json", "machine-readable output")
    .description("create an organisation and its empty wallet")
    .action(
      withApp(async (app, name: string, options: { json?: boolean }) => {
        if (!/^[\w.@-]{1,100}$/.test(name)) {
          throw new EcnError("invalid_input", "an organisation name is 1-100 letters, digits, '.', '_', '@' or '-'");
        }
        const created = await app.ledger.createOrg(name, Date.now());
        respond(
          options,
          { id: created.id, name: created.name, created_at: isoTime(created.createdAt) },
          ["id", "name", "created"],
          [[created.id, created.name, isoTime(created.createdAt)]],
        );
      }),
    );

  org
    .command("list")
    .option("--json", "machine-readable output")
    .description("list organisations with their balances")
    .action(
      withApp(async (app, options: { json?: boolean }) => {
        const orgs = await app.ledger.listOrgs();
        const rows = await Promise.all(orgs.map(async (o) => ({ org: o, wallet: await app.ledger.getWallet(o.id) })));
        respond(
          options,
          rows.map(({ org: o, wallet }) => ({
            id: o.id,
            name: o.name,
            balance_credits: microToCredits(wallet.balanceMicroCredits),
            created_at: isoTime(o.createdAt),
          })),
          ["id", "name", "balance (credits)", "created"],
          rows.map(({ org: o, wallet }) => [o.id, o.name, microToCredits(wallet.balanceMicroCredits), isoTime(o.createdAt)]),
        );
      }),
    );
}
