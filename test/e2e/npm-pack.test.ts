/**
 * The package as a user installs it: `npm pack`, then `npm install -g` of the
 * tarball into an empty prefix (dependencies from the npm registry, the native
 * module built there), then the installed `ecn-mcp` runs verbs and its
 * `mcp-config` block serves a tool call. Store-independent: run once, in the
 * SQLite project.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { describe, expect, it } from "vitest";
import { STORE } from "../helpers/store.js";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const fresh = (name: string) => mkdtempSync(join(tmpdir(), `ecn-pack-${name}-`));

describe.skipIf(STORE !== "sqlite")("npm pack", () => {
  it("installs globally from the tarball into an empty prefix, and the installed ecn-mcp serves", async () => {
    const out = fresh("tgz");
    await run("npm", ["pack", "--pack-destination", out], { cwd: ROOT });
    const tarball = join(
      out,
      readdirSync(out).find((f) => f.endsWith(".tgz"))!,
    );
    const prefix = fresh("prefix");
    await run("npm", ["install", "-g", tarball, "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund"], {
      cwd: fresh("cwd"),
      maxBuffer: 16 * 1024 * 1024,
    });

    const home = fresh("home");
    const env = { PATH: process.env.PATH ?? "", HOME: home, ECN_DB_PATH: join(home, "ledger.db") };
    const ecn = (...args: string[]) => run(join(prefix, "bin", "ecn-mcp"), args, { env });
    await ecn("org", "create", "packed");
    await ecn("credits", "grant", "--org", "packed", "--credits", "7");
    const block = JSON.parse((await ecn("mcp-config", "--org", "packed")).stdout) as {
      mcpServers: { "ecn-mcp": { command: string; args: string[]; env: Record<string, string> } };
    };
    const entry = block.mcpServers["ecn-mcp"];
    expect(entry.args[0]).toBe(join(prefix, "lib", "node_modules", "ecn-mcp", "dist", "cli", "main.js"));

    const client = new Client({ name: "packed", version: "1.0.0" });
    await client.connect(new StdioClientTransport({ command: entry.command, args: entry.args, env: { ...entry.env, HOME: home }, cwd: fresh("client") }));
    try {
      expect((await client.callTool({ name: "get_wallet_balance", arguments: {} })).structuredContent).toMatchObject({ balance_credits: 7 });
    } finally {
      await client.close();
    }
  }, 600_000);
});
