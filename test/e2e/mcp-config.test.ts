/**
 * `ecn-mcp mcp-config`: the block it prints and writes is launched exactly as
 * an MCP client would launch it (another working directory, a fresh HOME,
 * only the block's environment) and answers a tool call. Writing keeps the
 * client's file as its owner wrote it: JSONC comments, trailing commas, a
 * BOM, big numbers, formatting, and a symbolic link as a link.
 */
import { execFile } from "node:child_process";
import { lstatSync, readdirSync, readFileSync, symlinkSync, writeFileSync, mkdirSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { describe, expect, it } from "vitest";
import { match } from "../helpers/matchers.js";
import { CLI, cliRunner, startStack } from "../helpers/stack.js";
import { tempDir } from "../helpers/temp-ledger.js";

interface Entry {
  command: string;
  args: string[];
  env: Record<string, string>;
}

const run = promisify(execFile);
const BOM = "\uFEFF";

/** `mcp-config` run in `cwd` (VS Code's file is the workspace's) with `env`. */
const mcpConfigIn = (cwd: string, env: Record<string, string>, ...args: string[]) => run(process.execPath, [CLI, "mcp-config", ...args], { cwd, env });

/** What mcp-config needs to run: a ledger location (it opens no ledger and starts no server). */
const bareEnv = (): Record<string, string> => ({ PATH: process.env.PATH ?? "", HOME: tempDir("home"), ECN_DB_PATH: join(tempDir("ledger"), "ecn.db") });

/** True when `lines` appear in `text` in this order, each whole and unchanged. */
function keepsLines(text: string, lines: string[]): boolean {
  const have = text.split("\n");
  let at = 0;
  for (const line of lines) {
    at = have.indexOf(line, at);
    if (at < 0) return false;
    at++;
  }
  return true;
}

describe("ecn-mcp mcp-config", () => {
  it("writes a block that a client can launch from anywhere, and it answers get_wallet_balance", async () => {
    const stack = await startStack({ credits: "10" });
    const home = tempDir("home");
    const { stdout } = await cliRunner({ ...stack.env, HOME: home })("mcp-config", "--client", "cursor", "--org", "e2e", "--write");
    const printed = (JSON.parse(stdout) as { mcpServers: Record<string, Entry> }).mcpServers["ecn-mcp"]!;
    const written = (JSON.parse(readFileSync(join(home, ".cursor", "mcp.json"), "utf8")) as { mcpServers: Record<string, Entry> }).mcpServers["ecn-mcp"]!;
    expect(written.command).toBe(process.execPath);
    expect(isAbsolute(written.args[0]!)).toBe(true);
    expect(written.args).toEqual(printed.args);
    expect(written.env.ECN_ORG).toBe("e2e");

    const client = new Client({ name: "as-a-client-launches", version: "1.0.0" });
    await client.connect(
      new StdioClientTransport({ command: written.command, args: written.args, env: { ...written.env, HOME: tempDir("client-home") }, cwd: tempDir("cwd") }),
    );
    try {
      const result = await client.callTool({ name: "get_wallet_balance", arguments: {} });
      expect(result.structuredContent).toMatchObject({ org_id: stack.orgId, balance_credits: 10 });
    } finally {
      await client.close();
    }
  });

  it("keeps the client's other servers and settings, and the old file as a backup", async () => {
    const stack = { env: bareEnv() };
    const home = tempDir("home");
    mkdirSync(join(home, ".cursor"));
    const before = JSON.stringify({ theme: "dark", mcpServers: { other: { command: "other-server" } } });
    writeFileSync(join(home, ".cursor", "mcp.json"), before);
    await cliRunner({ ...stack.env, HOME: home })("mcp-config", "--client", "cursor", "--write");
    const after = JSON.parse(readFileSync(join(home, ".cursor", "mcp.json"), "utf8")) as { theme: string; mcpServers: Record<string, unknown> };
    expect(after.theme).toBe("dark");
    expect(Object.keys(after.mcpServers).sort()).toEqual(["ecn-mcp", "other"]);
    const backups = readdirSync(join(home, ".cursor")).filter((f) => f.startsWith("mcp.json.bak-"));
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(home, ".cursor", backups[0]!), "utf8")).toBe(before);
  });

  it("prints VS Code's own shape, and refuses an unknown client", async () => {
    const stack = { cli: cliRunner(bareEnv()) };
    const { stdout } = await stack.cli("mcp-config", "--client", "vscode");
    expect(JSON.parse(stdout)).toEqual({ servers: { "ecn-mcp": match.objectContaining({ type: "stdio", command: process.execPath }) } });
    await expect(stack.cli("mcp-config", "--client", "notepad")).rejects.toMatchObject({ code: 2, stderr: match.stringMatching(/--client must be one of/) });
  });
});

describe("ecn-mcp mcp-config --write on the client's own file", () => {
  const VSCODE_JSONC = [
    "// My workspace's MCP servers",
    "{",
    '  "inputs": [{ "type": "promptString", "id": "key" },],',
    "  /* big numbers are kept as written */",
    '  "budget": 123456789012345678901234567890,',
    '  "servers": {',
    '    "other": { "command": "other-server", "args": ["--x"] }, // keep me',
    "  },",
    "}",
    "",
  ];

  it("reads VS Code's JSONC (comments, trailing commas, a BOM) and keeps every byte of it but our entry", async () => {
    const stack = { env: bareEnv() };
    const workspace = tempDir("workspace");
    mkdirSync(join(workspace, ".vscode"));
    const file = join(workspace, ".vscode", "mcp.json");
    writeFileSync(file, BOM + VSCODE_JSONC.join("\n"));
    await mcpConfigIn(workspace, stack.env, "--client", "vscode", "--write");
    const after = readFileSync(file, "utf8");
    expect(after.startsWith(BOM + VSCODE_JSONC[0])).toBe(true);
    expect(keepsLines(after.slice(1), VSCODE_JSONC), after).toBe(true);
    const { parse } = await import("jsonc-parser");
    const servers = (parse(after.slice(1)) as { servers: Record<string, { type?: string; command: string }> }).servers;
    expect(Object.keys(servers).sort()).toEqual(["ecn-mcp", "other"]);
    expect(servers["ecn-mcp"]).toMatchObject({ type: "stdio", command: process.execPath });
    // Written again, the entry is replaced in place, and still nothing else moves.
    await mcpConfigIn(workspace, stack.env, "--client", "vscode", "--write");
    const again = readFileSync(file, "utf8");
    expect(keepsLines(again.slice(1), VSCODE_JSONC)).toBe(true);
    expect(again.match(/"ecn-mcp"/g)).toHaveLength(1);
  });

  it.each([
    ["an array", '{ "mcpServers": [{ "command": "x" }] }', "an array"],
    ["a string", '{ "mcpServers": "none" }', "a string"],
    ["null", '{ "mcpServers": null }', "null"],
  ])("refuses an mcpServers that is %s, and changes nothing", async (_name, text, kind) => {
    const stack = { env: bareEnv() };
    const home = tempDir("home");
    mkdirSync(join(home, ".cursor"));
    writeFileSync(join(home, ".cursor", "mcp.json"), text);
    const failure = cliRunner({ ...stack.env, HOME: home })("mcp-config", "--client", "cursor", "--write");
    await expect(failure).rejects.toMatchObject({
      code: 2,
      stderr: match.stringMatching(new RegExp(`mcp\\.json: "mcpServers" is ${kind}, not an object of servers; fix it by hand`)),
    });
    expect(readFileSync(join(home, ".cursor", "mcp.json"), "utf8")).toBe(text);
    expect(readdirSync(join(home, ".cursor"))).toEqual(["mcp.json"]);
  });

  it("refuses a file that is not JSON with where it goes wrong, not as an internal error", async () => {
    const stack = { env: bareEnv() };
    const home = tempDir("home");
    mkdirSync(join(home, ".cursor"));
    writeFileSync(join(home, ".cursor", "mcp.json"), '{\n  "mcpServers": {\n    "a": { "command": "x" \n}\n');
    await expect(cliRunner({ ...stack.env, HOME: home })("mcp-config", "--client", "cursor", "--write")).rejects.toMatchObject({
      code: 2,
      stderr: match.stringMatching(/mcp\.json is not valid JSON \(comments and trailing commas are fine\): \w+ at line \d+, column \d+; fix it first/),
    });
  });

  it("writes a symlinked config through the link: the link stays a link", async () => {
    const stack = { env: bareEnv() };
    const home = tempDir("home");
    const dotfiles = tempDir("dotfiles");
    writeFileSync(join(dotfiles, "cursor-mcp.json"), '{ "mcpServers": { "other": { "command": "other-server" } } }\n');
    mkdirSync(join(home, ".cursor"));
    symlinkSync(join(dotfiles, "cursor-mcp.json"), join(home, ".cursor", "mcp.json"));
    const { stderr } = await cliRunner({ ...stack.env, HOME: home })("mcp-config", "--client", "cursor", "--write");
    expect(stderr).toContain(`(a link to ${join(dotfiles, "cursor-mcp.json")})`);
    expect(lstatSync(join(home, ".cursor", "mcp.json")).isSymbolicLink()).toBe(true);
    const written = JSON.parse(readFileSync(join(dotfiles, "cursor-mcp.json"), "utf8")) as { mcpServers: Record<string, unknown> };
    expect(Object.keys(written.mcpServers).sort()).toEqual(["ecn-mcp", "other"]);
    expect(readdirSync(dotfiles)).toEqual(["cursor-mcp.json"]); // no temporary file left beside the target
  });
});

describe("ecn-mcp mcp-config in the sandbox", () => {
  it.each([
    ["ECN_SANDBOX=1", { ECN_SANDBOX: "1" }, []],
    ["--sandbox", {}, ["--sandbox"]],
  ])("with %s prints a sandbox block, and a client launching it gets the sandbox, not the live ledger", async (_name, env, flags) => {
    const stack = await startStack({ credits: "10" });
    const home = tempDir("home");
    const { stdout, stderr } = await cliRunner({ ...stack.env, ...env, HOME: home })("mcp-config", "--client", "cursor", "--write", ...flags);
    const printed = (JSON.parse(stdout) as { mcpServers: Record<string, Entry> }).mcpServers;
    expect(Object.keys(printed)).toEqual(["ecn-mcp-sandbox"]);
    const entry = printed["ecn-mcp-sandbox"]!;
    expect(entry.args.slice(1)).toEqual(["stdio", "--sandbox"]);
    expect(stderr).toMatch(/^SANDBOX: this block runs the server with simulated providers and the sandbox ledger .*\.sandbox\.db/m);
    expect(stderr).not.toContain("OPENROUTER_API_KEY");
    const written = (JSON.parse(readFileSync(join(home, ".cursor", "mcp.json"), "utf8")) as { mcpServers: Record<string, Entry> }).mcpServers;
    expect(written["ecn-mcp-sandbox"]).toEqual(entry);

    const client = new Client({ name: "sandbox-client", version: "1.0.0" });
    await client.connect(
      new StdioClientTransport({ command: entry.command, args: entry.args, env: { ...entry.env, HOME: home }, cwd: tempDir("cwd"), stderr: "ignore" }),
    );
    try {
      const result = await client.callTool({ name: "get_wallet_balance", arguments: {} });
      expect(result.structuredContent).toMatchObject({ balance_credits: 1000 }); // the sandbox's own credits
    } finally {
      await client.close();
    }
    expect((await stack.ledger.getWallet(stack.orgId)).balanceMicroCredits).toBe(10_000_000n); // the live wallet, untouched
  });
});
