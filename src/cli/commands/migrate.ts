import type { Command } from "commander";
import { currentConfig, reportFailure } from "../runner.js";
import { VERBS } from "../verbs.js";

export function register(program: Command): void {
  program
    .command("migrate")
    .option("--json", "machine-readable output")
    .description(VERBS.migrate.summary)
    .action(async (options: { json?: boolean }) => {
      try {
        const config = await currentConfig();
        const { ledgerLocation, migrateLedger } = await import("../../ledger/open-any.js");
        const target = { databaseUrl: config.databaseUrl, dbPath: config.dbPath };
        const applied = await migrateLedger(target);
        if (options.json) console.log(JSON.stringify({ ledger: ledgerLocation(target), applied }));
        else console.log(`${ledgerLocation(target)}: ${applied} migration(s) applied, ledger is up to date`);
      } catch (error) {
        reportFailure(error);
      }
    });
}
