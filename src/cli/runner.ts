/** Runs a CLI verb with the app built from the configuration, turning failures into messages and exit codes. */
import { ConfigError, loadConfig, type Config } from "../config.js";
import { classifyFailure } from "../failures.js";
import { redact } from "../redact.js";
import { createApp, type App } from "./app.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AppRunner = <A extends any[]>(action: (app: App, ...args: A) => Promise<void>) => (...args: A) => Promise<void>;

/** Exit codes: what a script or service manager can tell apart. */
export const EXIT = { ok: 0, refused: 1, config: 2, loss: 3, ledger: 4, costGap: 5, internal: 70 } as const;

let config: Config | undefined;

/** The configuration, parsed once per process. */
export function currentConfig(): Config {
  return (config ??= loadConfig());
}

/** The configuration, in the sandbox when the command's --sandbox flag asks for it (ECN_SANDBOX=1 does it for every verb). */
export function withSandbox(options: { sandbox?: boolean }): Config {
  const config = currentConfig();
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

export const withApp: AppRunner =
  (action) =>
  async (...args) => {
    let app: App | undefined;
    try {
      app = await createApp(currentConfig());
      await action(app, ...args);
    } catch (error) {
      reportFailure(error);
    } finally {
      await app?.close();
    }
  };
