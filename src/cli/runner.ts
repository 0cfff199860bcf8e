/** Runs a CLI verb with the app built from the configuration, turning known errors into messages and exit codes. */
import { ConfigError, loadConfig, type Config } from "../config.js";
import { EcnError } from "../errors.js";
import { createApp, type App } from "./app.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AppRunner = <A extends any[]>(action: (app: App, ...args: A) => Promise<void>) => (...args: A) => Promise<void>;

let config: Config | undefined;

/** The configuration, parsed once per process. */
export function currentConfig(): Config {
  return (config ??= loadConfig());
}

/** Prints a failure the way a user can act on it and sets the exit code. */
export function reportFailure(error: unknown): void {
  if (error instanceof EcnError) {
    console.error(`error: ${error.render()}`);
    process.exitCode = 1;
  } else if (error instanceof ConfigError) {
    console.error(`ecn-mcp: ${error.message}`);
    process.exitCode = 2;
  } else {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 70;
  }
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
      app?.close();
    }
  };
