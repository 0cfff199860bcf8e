/**
 * Runs a CLI verb with what it needs built from the configuration, turning
 * failures into messages and exit codes. Light on purpose: every verb's
 * module imports it, so `ecn-mcp --help` loads it too. The configuration's
 * schema, the ledger and the servers' modules load only when a verb runs.
 */
import type { Config } from "../config.js";
import { ConfigError } from "../errors.js";
import { classifyFailure } from "../failures.js";
import { redact } from "../redact.js";
import { EXIT } from "./exit-codes.js";
import type { App } from "./app.js";
import type { LedgerApp } from "./ledger-app.js";

type Runner<T> = <A extends unknown[]>(action: (app: T, ...args: A) => Promise<void>) => (...args: A) => Promise<void>;

/** Runs a verb with the whole App: providers, metering core, reconciler (servers, reconcile, audit-costs, rate-card set). */
export type AppRunner = Runner<App>;
/** Runs a verb with the ledger and the accounts read model only (most verbs). */
export type LedgerRunner = Runner<LedgerApp>;

export { EXIT };

let config: Config | undefined;

/** The configuration, parsed once per process (its schema loads on first use). */
export async function currentConfig(): Promise<Config> {
  if (config) return config;
  const { loadConfig } = await import("../config.js");
  return (config ??= loadConfig());
}

/** The configuration, in the sandbox when the command's --sandbox flag asks for it (ECN_SANDBOX=1 does it for every verb). */
export async function withSandbox(options: { sandbox?: boolean }): Promise<Config> {
  const config = await currentConfig();
  return options.sandbox ? { ...config, sandbox: true } : config;
}

/**
 * Prints a failure the way a user can act on it (one line; a bug also gets
 * its stack, for the report) and sets the exit code.
 */
export function reportFailure(error: unknown): void {
  if (error instanceof ConfigError) {
    console.error(`ecn-mcp: ${error.message}`);
    process.exitCode = EXIT.config;
    return;
  }
  const failure = classifyFailure(error);
  if (failure.kind === "programming") {
    const cause = failure.cause;
    console.error(`ecn-mcp: internal error: ${redact(cause instanceof Error ? cause.message : String(cause))} (a bug: please report it with the trace below)`);
    if (cause instanceof Error && cause.stack) console.error(redact(cause.stack));
    process.exitCode = EXIT.internal;
    return;
  }
  console.error(`error: ${failure.error.render()}`);
  process.exitCode = failure.kind === "ledger" ? EXIT.ledger : EXIT.refused;
}

/** Wraps a verb's action: builds what it needs, runs it, reports a failure, and always closes what was opened. */
function runner<T extends { close: () => Promise<void> }>(open: (config: Config) => Promise<T>): Runner<T> {
  return (action) =>
    async (...args) => {
      let opened: T | undefined;
      try {
        opened = await open(await currentConfig());
        await action(opened, ...args);
      } catch (error) {
        reportFailure(error);
      } finally {
        await opened?.close();
      }
    };
}

export const withApp: AppRunner = runner(async (config) => (await import("./app.js")).createApp(config));
export const withLedger: LedgerRunner = runner(async (config) => (await import("./ledger-app.js")).openLedgerApp(config));
