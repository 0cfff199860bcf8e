/**
 * The .mcpb bundle as Claude Desktop installs it: `npm run bundle`'s script builds
 * it from dist/, the MCPB CLI validates its manifest and unpacks it, and the server
 * is started from the manifest alone — `server.mcp_config` with `${__dirname}` and
 * `${user_config.*}` substituted by the MCPB library's own getMcpConfigForManifest
 * (the code Claude Desktop runs), `node` found on PATH, a fresh HOME — then a real
 * MCP client lists its tools and calls get_wallet_balance. Store-independent: run
 * once, in the SQLite project.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import { promisify } from "node:util";
import { getMcpConfigForManifest } from "@anthropic-ai/mcpb";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, describe, expect, it } from "vitest";
import { TOOLS } from "../../src/tools/index.js";
import { PROFILE_ARGS, textOf } from "../helpers/stack.js";
import { STORE } from "../helpers/store.js";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const MCPB_CLI = join(ROOT, "node_modules/@anthropic-ai/mcpb/dist/cli/cli.js");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
const fresh = (name: string) => mkdtempSync(join(tmpdir(), `ecn-mcpb-${name}-`));

interface Manifest {
  manifest_version: string;
  name: string;
  version: string;
  icon: string;
  server: { type: string; entry_point: string; mcp_config: { command: string; args: string[]; env: Record<string, string> } };
  tools: { name: string; description: string }[];
  user_config: Record<string, { type: string; sensitive?: boolean; required?: boolean; default?: unknown }>;
  compatibility: { platforms: string[]; runtimes: { node: string } };
}

/** Every file under dir, relative to it, with / separators. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((path) => statSync(join(dir, path)).isFile())
    .map((path) => path.split(sep).join("/"));
}

describe.skipIf(STORE !== "sqlite")("the .mcpb bundle", () => {
  let bundle: string;
  let unpacked: string;
  let manifest: Manifest;

  beforeAll(async () => {
    bundle = join(fresh("out"), "ecn-mcp.mcpb");
    await run(process.execPath, [join(ROOT, "scripts/bundle.mjs"), "--out", bundle], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    unpacked = fresh("unpacked");
    await run(process.execPath, [MCPB_CLI, "unpack", bundle, unpacked]);
    manifest = JSON.parse(readFileSync(join(unpacked, "manifest.json"), "utf8")) as Manifest;
  }, 300_000);

  it("has a manifest that `mcpb validate` accepts, with the package's version and the server's tools", async () => {
    const { stdout } = await run(process.execPath, [MCPB_CLI, "validate", join(unpacked, "manifest.json")]);
    expect(stdout).toMatch(/Manifest schema validation passes/);
    expect(manifest).toMatchObject({ manifest_version: "0.3", name: "ecn-mcp", version: pkg.version, icon: "icon.png" });
    expect(manifest.server).toMatchObject({ type: "node", entry_point: "dist/cli/main.js" });
    expect(manifest.tools).toEqual(TOOLS.map((tool) => ({ name: tool.name, description: tool.description })));
    // The provider keys are secrets the host stores in the keychain; nothing is required to start.
    expect(manifest.user_config.openrouter_api_key).toMatchObject({ type: "string", sensitive: true, required: false });
    expect(manifest.user_config.apify_api_token).toMatchObject({ type: "string", sensitive: true, required: false });
    expect(manifest.user_config.org).toMatchObject({ type: "string", default: "local" });
    expect(manifest.compatibility).toEqual({ platforms: [process.platform], runtimes: { node: expect.stringMatching(/^>=\d+\.0\.0 <\d+\.0\.0$/) as string } });
  });

  it("holds what runs and nothing else: dist without source maps, migrations, production dependencies, the native binary", () => {
    const files = filesUnder(unpacked);
    expect(files).toEqual(
      expect.arrayContaining(["manifest.json", "icon.png", "package.json", "LICENSE", "dist/cli/main.js", "drizzle/sqlite/meta/_journal.json"]),
    );
    expect(files).toContain("node_modules/better-sqlite3/build/Release/better_sqlite3.node");
    expect(files.filter((f) => f.endsWith(".map") || f.endsWith(".d.ts"))).toEqual([]);
    expect(files.filter((f) => /^(src|test|bench|scripts)\//.test(f))).toEqual([]);
    // better-sqlite3 without its C sources and build intermediates; no development dependency at all.
    expect(
      files.filter((f) => f.startsWith("node_modules/better-sqlite3/") && !/\/(lib\/|package\.json$|LICENSE$|build\/Release\/better_sqlite3\.node$)/.test(f)),
    ).toEqual([]);
    for (const dev of ["vitest", "typescript", "drizzle-kit", "@anthropic-ai/mcpb", "verdaccio", "playwright-core", "eslint"]) {
      expect(existsSync(join(unpacked, "node_modules", dev)), dev).toBe(false);
    }
    expect(statSync(bundle).size).toBeLessThan(15 * 1024 * 1024);
  });

  /** The server as Claude Desktop starts it: the manifest's mcp_config with the host's substitutions, `node` from PATH, a fresh HOME. */
  async function launch(userConfig: Record<string, string | boolean>) {
    const home = fresh("home");
    const config = await getMcpConfigForManifest({
      manifest: manifest as unknown as Parameters<typeof getMcpConfigForManifest>[0]["manifest"],
      extensionPath: unpacked,
      systemDirs: { HOME: home, DESKTOP: join(home, "Desktop"), DOCUMENTS: join(home, "Documents"), DOWNLOADS: join(home, "Downloads") },
      userConfig,
      pathSeparator: sep,
    });
    expect(config).toBeDefined();
    const stderr = { text: "" };
    const transport = new StdioClientTransport({
      command: config!.command,
      args: config!.args,
      env: { ...config!.env, HOME: home, PATH: dirname(process.execPath) },
      cwd: fresh("cwd"),
      stderr: "pipe",
    });
    transport.stderr?.on("data", (chunk: Buffer) => (stderr.text += chunk.toString()));
    const client = new Client({ name: "claude-desktop-like", version: "1.0.0" });
    await client.connect(transport);
    return { home, config: config!, client, stderr };
  }

  it("starts from its manifest the way Claude Desktop does, in a fresh HOME, and serves get_wallet_balance", async () => {
    // The user filled in nothing: every setting takes its default.
    const { home, config, client, stderr } = await launch({});
    expect(config.args).toEqual([join(unpacked, "dist/cli/main.js"), "stdio"]);
    // No placeholder may reach the server: an unset key arrives empty, which the server treats as unset.
    expect(JSON.stringify(config.env)).not.toContain("${");
    try {
      const listed = (await client.listTools()).tools.map((tool) => ({ name: tool.name, description: tool.description }));
      expect(listed).toEqual(manifest.tools);

      const wallet = (await client.callTool({ name: "get_wallet_balance", arguments: {} })) as CallToolResult;
      expect(wallet.isError, `${textOf(wallet)}\n${stderr.text}`).toBeFalsy();
      expect(wallet.structuredContent).toMatchObject({ balance_credits: 0, held_credits: 0, deployment_mode: "self_host" });

      // Without a key the paid tools say so, before any provider request.
      const draft = (await client.callTool({ name: "profile_draft", arguments: PROFILE_ARGS })) as CallToolResult;
      expect(draft.isError).toBe(true);
      expect(textOf(draft)).toMatch(/^provider_not_configured: .*OPENROUTER_API_KEY/);
    } finally {
      await client.close();
    }
    // The ledger is in the user's data folder.
    expect(existsSync(join(home, ".local/share/ecn-mcp/ecn.db"))).toBe(true);
  });

  it("with the Sandbox switch on, runs a paid tool from the bundle's own dependencies against the built-in simulators", async () => {
    const { client, stderr } = await launch({ sandbox: true });
    try {
      const draft = (await client.callTool({ name: "profile_draft", arguments: PROFILE_ARGS })) as CallToolResult;
      expect(draft.isError, `${textOf(draft)}\n${stderr.text}`).toBeFalsy();
      expect((draft.structuredContent as { metering: Record<string, unknown> }).metering).toMatchObject({ sandbox: true });
      const leads = (await client.callTool({ name: "lead_signal_fetch", arguments: { query: "roofers Denver", max_results: 5 } })) as CallToolResult;
      expect(leads.isError, `${textOf(leads)}\n${stderr.text}`).toBeFalsy();
    } finally {
      await client.close();
    }
  });
});
