import type { Command } from "commander";
import { EcnError } from "../../errors.js";
import { printJson } from "../output.js";
import { withLedger } from "../runner.js";
import { VERBS } from "../verbs.js";

export function register(program: Command): void {
  const dashboard = program
    .command("dashboard")
    .option("--port <port>", "port on 127.0.0.1 (0: any free port)", "8790")
    .description(VERBS.dashboard.summary)
    // express and the dashboard's assets load only for this verb, not in every stdio server.
    .action(async (options: { port: string }) => (await import("./dashboard-serve.js")).dashboard(options));

  dashboard
    .command("sessions")
    .description("the dashboard's sign-in sessions")
    .command("revoke")
    .option("--all", "every session: each tenant's and the operator's")
    .option("--json", "machine-readable output")
    .description("sign dashboard sessions out at once, on every server sharing this ledger")
    .action(
      withLedger(async (app, options: { all?: boolean; json?: boolean }) => {
        if (!options.all) throw new EcnError("invalid_input", "say which sessions to revoke: --all (every tenant's and the operator's)");
        const revoked = await app.ledger.revokeAllSessions();
        if (options.json) printJson({ revoked });
        else console.log(`${revoked} dashboard session(s) revoked; everyone signs in again.`);
      }),
    );
}
