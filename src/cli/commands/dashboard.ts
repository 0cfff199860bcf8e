import type { Command } from "commander";
import { VERBS } from "../verbs.js";

export function register(program: Command): void {
  program
    .command("dashboard")
    .option("--port <port>", "port on 127.0.0.1 (0: any free port)", "8790")
    .description(VERBS.dashboard.summary)
    // express and the dashboard's assets load only for this verb, not in every stdio server.
    .action(async (options: { port: string }) => (await import("./dashboard-serve.js")).dashboard(options));
}
