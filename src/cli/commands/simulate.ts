import type { Command } from "commander";
import { reportFailure } from "../runner.js";
import { VERBS } from "../verbs.js";

/** `ecn-mcp simulate`: the simulated providers alone, on loopback, until Ctrl-C; prints the settings that point a server at them. */
export function register(program: Command): void {
  program
    .command("simulate")
    .description(VERBS.simulate.summary)
    .action(async () => {
      try {
        const { startSimulators } = await import("../sandbox.js");
        const sims = await startSimulators();
        console.log("# Simulated providers on loopback (not the real services; nothing is billed). Ctrl-C stops them.");
        console.log("# Point a server at them (with a ledger of its own: these are not real charges):");
        console.log(`export OPENROUTER_BASE_URL=${sims.openrouter.baseUrl}`);
        console.log(`export OPENROUTER_API_KEY=${sims.openrouter.apiKey}`);
        console.log(`export APIFY_BASE_URL=${sims.apify.baseUrl}`);
        console.log(`export APIFY_API_TOKEN=${sims.apify.token}`);
        console.log(`export ECN_SOCRATA_BASE_URL=${sims.socrata.baseUrl}`);
        await new Promise<void>((resolve) => {
          process.once("SIGINT", resolve);
          process.once("SIGTERM", resolve);
        });
        await sims.close();
      } catch (error) {
        reportFailure(error);
      }
    });
}
