import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import type { Config } from "../../config.js";
import { ConfigError } from "../../errors.js";
import { clientBlock, clientConfigPath, MCP_CLIENTS, mergedConfig, type McpClient } from "../mcp-clients.js";
import { currentConfig, reportFailure } from "../runner.js";
import { VERBS } from "../verbs.js";

interface Options {
  client: string;
  org?: string;
  write?: boolean;
}

/** This CLI's entry script, by absolute path (dist/cli/main.js beside this file's folder). */
const MAIN_SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "main.js");

/** The ledger setting the printed block carries: the same store this command sees, so the server finds the same wallets. */
function ledgerEnv(config: Config): Record<string, string> {
  // A database URL holds a password: it is written to the client's file with --write, never printed.
  return config.databaseUrl ? { ECN_DATABASE_URL: config.databaseUrl } : { ECN_DB_PATH: resolve(config.dbPath) };
}

function readJson(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  const text = readFileSync(path, "utf8");
  if (text.trim() === "") return {};
  const parsed = JSON.parse(text) as unknown;
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new ConfigError(`${path} is not a JSON object; fix or move it first`);
  return parsed as Record<string, unknown>;
}

function writeConfig(path: string, next: Record<string, unknown>): string | null {
  mkdirSync(dirname(path), { recursive: true });
  let backup: string | null = null;
  if (existsSync(path)) {
    backup = `${path}.bak-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    copyFileSync(path, backup);
  }
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, JSON.stringify(next, null, 2) + "\n", { mode: 0o600 });
  renameSync(temporary, path);
  return backup;
}

export function register(program: Command): void {
  program
    .command("mcp-config")
    .option("--client <client>", `the MCP client: ${MCP_CLIENTS.join(", ")}`, "claude-desktop")
    .option("--org <org>", "the organisation the server acts for (ECN_ORG)")
    .option("--write", "add the block to the client's config file (the old file is kept as a backup)")
    .description(VERBS["mcp-config"].summary)
    .action(async (options: Options) => {
      try {
        if (!(MCP_CLIENTS as readonly string[]).includes(options.client)) {
          throw new ConfigError(`--client must be one of ${MCP_CLIENTS.join(", ")} (got ${JSON.stringify(options.client)})`);
        }
        const client = options.client as McpClient;
        const config = await currentConfig();
        const env: Record<string, string> = { ECN_ORG: options.org ?? config.org, ...ledgerEnv(config) };
        const entry = { command: process.execPath, args: [MAIN_SCRIPT, "stdio"], env };
        const shown = { ...entry, env: { ...env, ...(env.ECN_DATABASE_URL ? { ECN_DATABASE_URL: "<ECN_DATABASE_URL, written with --write>" } : {}) } };
        console.log(JSON.stringify(clientBlock(client, shown), null, 2));
        console.error(
          "Paid tools need your provider keys in this block's env: add OPENROUTER_API_KEY and APIFY_API_TOKEN (not printed here: they are secrets).",
        );
        if (!options.write) return;
        const path = clientConfigPath(client, { platform: process.platform, appData: config.appDataDir, cwd: process.cwd() });
        const existing = readJson(path);
        const [listKey] = Object.keys(clientBlock(client, entry));
        const before = (existing[listKey!] as Record<string, unknown> | undefined)?.["ecn-mcp"];
        // Shown before it is written; the database URL (it holds a password) stays masked.
        console.error(`Changing ${path}, ${listKey}."ecn-mcp":`);
        console.error(`- ${before === undefined ? "(no ecn-mcp server yet)" : "(the ecn-mcp server there now is replaced)"}`);
        console.error(`+ ${JSON.stringify(clientBlock(client, shown)[listKey!]!["ecn-mcp"])}`);
        const backup = writeConfig(path, mergedConfig(existing, clientBlock(client, entry)));
        console.error(`Wrote the ecn-mcp server into ${path}${backup ? ` (the previous file is kept as ${backup})` : ""}. Restart ${client} to load it.`);
      } catch (error) {
        reportFailure(error);
      }
    });
}
