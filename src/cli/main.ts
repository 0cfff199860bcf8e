#!/usr/bin/env node
/**
 * `ecn-mcp`: the stdio MCP server by default, plus the operator's verbs.
 * The only place that reads argv, prints for humans or decides the exit code.
 */
import { Command } from "commander";
import { ledgerLocation, migrateLedger } from "../ledger/index.js";
import { SERVER_VERSION } from "../server/create-server.js";
import { registerAuditCostsCommand } from "./commands/audit-costs.js";
import { registerBillingCommands } from "./commands/billing.js";
import { registerBudgetCommands } from "./commands/budget.js";
import { registerCreditCommands } from "./commands/credits.js";
import { registerDashboardCommand } from "./commands/dashboard.js";
import { registerHttpCommand } from "./commands/http.js";
import { registerInstancesCommand } from "./commands/instances.js";
import { registerKeyCommands } from "./commands/key.js";
import { registerMcpConfigCommand } from "./commands/mcp-config.js";
import { registerLedgerCommands } from "./commands/ledger.js";
import { registerOrgCommands } from "./commands/org.js";
import { registerMarginCommand } from "./commands/margins.js";
import { registerReconcileCommand } from "./commands/reconcile.js";
import { registerUsageCommand } from "./commands/usage.js";
import { registerRateCardCommands } from "./commands/rate-card.js";
import { registerServeCommands } from "./commands/serve.js";
import { registerSimulateCommand } from "./commands/simulate.js";
import { currentConfig, reportFailure, withApp } from "./runner.js";

const program = new Command("ecn-mcp")
  .description("A metered MCP server: paid tools charged at provider cost x markup, in credits.")
  .version(SERVER_VERSION)
  .showHelpAfterError();

registerServeCommands(program);
registerHttpCommand(program);
registerDashboardCommand(program);

program
  .command("migrate")
  .option("--json", "machine-readable output")
  .description("apply ledger migrations (also done automatically at start)")
  .action(async (options: { json?: boolean }) => {
    try {
      const config = currentConfig();
      const target = { databaseUrl: config.databaseUrl, dbPath: config.dbPath };
      const applied = await migrateLedger(target);
      if (options.json) console.log(JSON.stringify({ ledger: ledgerLocation(target), applied }));
      else console.log(`${ledgerLocation(target)}: ${applied} migration(s) applied, ledger is up to date`);
    } catch (error) {
      reportFailure(error);
    }
  });

registerLedgerCommands(program);
registerOrgCommands(program, withApp);
registerKeyCommands(program, withApp);
registerCreditCommands(program, withApp);
registerRateCardCommands(program, withApp);
registerBudgetCommands(program, withApp);
registerBillingCommands(program, withApp);
registerReconcileCommand(program, withApp);
registerInstancesCommand(program, withApp);
registerMcpConfigCommand(program);
registerSimulateCommand(program);
registerUsageCommand(program, withApp);
registerMarginCommand(program, withApp);
registerAuditCostsCommand(program, withApp);

await program.parseAsync(process.argv);
