/**
 * `ecn-mcp mcp-config`: the block it prints and writes is launched exactly as
 * an MCP client would launch it (another working directory, a fresh HOME,
 * only the block's environment) and answers a tool call.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { describe, expect, it } from "vitest";
import { match } from "../helpers/matchers.js";
import { cliRunner, startStack } from "../helpers/stack.js";

interface Entry {
  command: string;
  args: string[];
  env: Record<string, string>;
}

const freshDir = (name: string) => mkdtempSync(join(tmpdir(), `ecn-${name}-`));

describe("ecn-mcp mcp-config", () => {
  it("writes a block that a client can launch from anywhere, and it answers get_wallet_balance", async () => {
    const stack = await startStack({ credits: "10" });
    const home = freshDir("home");
    const { stdout } = await cliRunner({ ...stack.env, HOME: home })("mcp-config", "--client", "cursor", "--org", "e2e", "--write");
    const printed = (JSON.parse(stdout) as { mcpServers: Record<string, Entry> }).mcpServers["ecn-mcp"]!;
    const written = (JSON.parse(readFileSync(join(home, ".cursor", "mcp.json"), "utf8")) as { mcpServers: Record<string, Entry> }).mcpServers["ecn-mcp"]!;
    expect(written.command).toBe(process.execPath);
    expect(isAbsolute(written.args[0]!)).toBe(true);
    expect(written.args).toEqual(printed.args);
    expect(written.env.ECN_ORG).toBe("e2e");

    const client = new Client({ name: "as-a-client-launches", version: "1.0.0" });
    await client.connect(
      new StdioClientTransport({ command: written.command, args: written.args, env: { ...written.env, HOME: freshDir("client-home") }, cwd: freshDir("cwd") }),
    );
    try {
      const result = await client.callTool({ name: "get_wallet_balance", arguments: {} });
      expect(result.structuredContent).toMatchObject({ org_id: stack.orgId, balance_credits: 10 });
    } finally {
      await client.close();
    }
  });

  it("keeps the client's other servers and settings, and the old file as a backup", async () => {
    const stack = await startStack();
    const home = freshDir("home");
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
    const stack = await startStack();
    const { stdout } = await stack.cli("mcp-config", "--client", "vscode");
    expect(JSON.parse(stdout)).toEqual({ servers: { "ecn-mcp": match.objectContaining({ type: "stdio", command: process.execPath }) } });
    await expect(stack.cli("mcp-config", "--client", "notepad")).rejects.toMatchObject({ code: 2, stderr: match.stringMatching(/--client must be one of/) });
  });
});
