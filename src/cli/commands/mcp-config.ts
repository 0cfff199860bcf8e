import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import type { Config } from "../../config.js";
import { ConfigError } from "../../errors.js";
import { clientBlock, clientConfigPath, MCP_CLIENTS, type McpClient, type ServerEntry } from "../mcp-clients.js";
import { reportFailure, withSandbox } from "../runner.js";
import { VERBS } from "../verbs.js";

interface Options {
  client: string;
  org?: string;
  write?: boolean;
  sandbox?: boolean;
}

/** This CLI's entry script, by absolute path (dist/cli/main.js beside this file's folder). */
const MAIN_SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "main.js");

/** The server entry this command describes: the live server, or the sandbox beside it under its own name. */
interface Described {
  name: string;
  entry: ServerEntry;
  /** The same entry with secrets masked, for printing. */
  shown: ServerEntry;
  advice: string;
}

/** sandboxLedger: where the sandbox server keeps its ledger (used only in the sandbox). */
function describeServer(config: Config, org: string, sandboxLedger: string): Described {
  if (config.sandbox) {
    // The sandbox server finds its own ledger beside the live file's default place (never ECN_DATABASE_URL): no secret to carry.
    const entry = { command: process.execPath, args: [MAIN_SCRIPT, "stdio", "--sandbox"], env: { ECN_ORG: org, ECN_DB_PATH: resolve(config.dbPath) } };
    return {
      name: "ecn-mcp-sandbox",
      entry,
      shown: entry,
      advice:
        `SANDBOX: this block runs the server with simulated providers and the sandbox ledger ${sandboxLedger}: ` +
        "no keys, no real money, not the live ledger. For the live server, run mcp-config without ECN_SANDBOX=1 or --sandbox.",
    };
  }
  // A database URL holds a password: it is written to the client's file with --write, never printed.
  const ledger: Record<string, string> = config.databaseUrl ? { ECN_DATABASE_URL: config.databaseUrl } : { ECN_DB_PATH: resolve(config.dbPath) };
  const entry = { command: process.execPath, args: [MAIN_SCRIPT, "stdio"], env: { ECN_ORG: org, ...ledger } };
  const masked: Record<string, string> = config.databaseUrl ? { ECN_DATABASE_URL: "<ECN_DATABASE_URL, written with --write>" } : {};
  return {
    name: "ecn-mcp",
    entry,
    shown: { ...entry, env: { ...entry.env, ...masked } },
    advice: "Paid tools need your provider keys in this block's env: add OPENROUTER_API_KEY and APIFY_API_TOKEN (not printed here: they are secrets).",
  };
}

export function register(program: Command): void {
  program
    .command("mcp-config")
    .option("--client <client>", `the MCP client: ${MCP_CLIENTS.join(", ")}`, "claude-desktop")
    .option("--org <org>", "the organisation the server acts for (ECN_ORG)")
    .option("--write", "add the block to the client's config file (the old file is kept as a backup)")
    .option("--sandbox", "a block for the sandbox server (simulated providers, sandbox ledger), named ecn-mcp-sandbox (same as ECN_SANDBOX=1)")
    .description(VERBS["mcp-config"].summary)
    .action(async (options: Options) => {
      try {
        if (!(MCP_CLIENTS as readonly string[]).includes(options.client)) {
          throw new ConfigError(`--client must be one of ${MCP_CLIENTS.join(", ")} (got ${JSON.stringify(options.client)})`);
        }
        const client = options.client as McpClient;
        const config = await withSandbox(options);
        // config.js is loaded by now (withSandbox read the configuration): importing it again costs nothing.
        const sandboxLedger = config.sandbox ? (await import("../../config.js")).sandboxDbPath(resolve(config.dbPath)) : "";
        const server = describeServer(config, options.org ?? config.org, sandboxLedger);
        const [listKey, servers] = Object.entries(clientBlock(client, server.name, server.shown))[0]!;
        console.log(JSON.stringify({ [listKey]: servers }, null, 2));
        console.error(server.advice);
        if (!options.write) return;
        // The JSONC editor loads for --write only, not in every start of the CLI (the stdio server included).
        const { checkServerList, readClientConfig, withValue, writeClientConfig } = await import("../client-config-file.js");
        const path = clientConfigPath(client, { platform: process.platform, appData: config.appDataDir, cwd: process.cwd() });
        const file = readClientConfig(path);
        checkServerList(file, listKey);
        const before = (file.value[listKey] as Record<string, unknown> | undefined)?.[server.name];
        // Shown before it is written; the database URL (it holds a password) stays masked.
        console.error(`Changing ${path}${file.target !== path ? ` (a link to ${file.target})` : ""}, ${listKey}.${JSON.stringify(server.name)}:`);
        console.error(`- ${before === undefined ? `(no ${server.name} server yet)` : `(the ${server.name} server there now is replaced)`}`);
        console.error(`+ ${JSON.stringify(servers[server.name])}`);
        const entry = clientBlock(client, server.name, server.entry)[listKey]![server.name];
        const backup = writeClientConfig(file, withValue(file, [listKey, server.name], entry));
        console.error(
          `Wrote the ${server.name} server into ${path}${backup ? ` (the previous file is kept as ${backup})` : ""}. Restart ${client} to load it.`,
        );
      } catch (error) {
        reportFailure(error);
      }
    });
}
