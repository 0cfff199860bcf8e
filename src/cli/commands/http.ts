import type { Command } from "commander";
import { VERBS } from "../verbs.js";
import type { HttpOptions } from "./http-serve.js";

export function register(program: Command): void {
  program
    .command("http")
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--port <port>", "port to listen on (0: any free port)", "8787")
    .option("--allowed-hosts <names>", "comma-separated Host header names to accept (default: ECN_HTTP_ALLOWED_HOSTS)")
    .option("--sandbox", "simulated providers and a separate sandbox ledger: no keys, no real money (same as ECN_SANDBOX=1)")
    .description(VERBS.http.summary)
    // express, prom-client and the HTTP app load only in HTTP mode, not in every stdio server.
    .action(async (options: HttpOptions) => (await import("./http-serve.js")).http(options));
}
