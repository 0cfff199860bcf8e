import type { Command } from "commander";
import { currentConfig, reportFailure } from "../runner.js";
import { VERBS } from "../verbs.js";

export function register(program: Command): void {
  program
    .command("stdio")
    .option("--sandbox", "simulated providers and a separate sandbox ledger: no keys, no real money (same as ECN_SANDBOX=1)")
    .description(VERBS.stdio.summary)
    // The MCP SDK, the metering core and the providers load only for the server, not for the other verbs.
    .action(async (options: { sandbox?: boolean }) => (await import("./stdio-serve.js")).stdio(options));
  program
    .command("demo")
    .option("--database-url <url>", "run on this PostgreSQL database (in a new organisation) instead of a throwaway SQLite file")
    .description(VERBS.demo.summary)
    .action(async (options: { databaseUrl?: string }) => {
      try {
        // The demo's simulators and MCP client load only for the demo.
        const [{ runDemo }, { checkDatabaseUrl }] = await Promise.all([import("../demo/run.js"), import("../../config.js")]);
        const databaseUrl = options.databaseUrl === undefined ? undefined : checkDatabaseUrl(options.databaseUrl, "--database-url");
        await runDemo(await currentConfig(), { databaseUrl });
      } catch (error) {
        reportFailure(error);
      }
    });
}
