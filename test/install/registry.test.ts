/**
 * The npm package as a user gets it from a registry: `npm pack`, published to a
 * verdaccio registry this test starts on loopback (our package is served only
 * from there; its dependencies come through it from the npm registry), then
 * `npx -y ecn-mcp@VERSION` with a fresh HOME and npm cache runs `--help` and a
 * sandbox stdio session driven by a real MCP client, and `npm install -g` gives
 * a CLI whose `mcp-config` block serves a tool call.
 *
 * better-sqlite3 installs through prebuild-install, which downloads a prebuilt
 * binary for the platform and Node ABI from its GitHub releases. This machine
 * cannot reach GitHub, so the test serves the same file from a loopback mirror
 * (`npm_config_better_sqlite3_binary_host`), packed from the binary built in
 * this checkout, in the layout prebuild-install expects: what a user on a common
 * platform downloads instead of compiling. The fresh HOME has no Node headers, so
 * a fall back to compiling would fail: the test proves the download path.
 * Store-independent: run once, in the SQLite project.
 */
import { execFile, type ExecFileOptions } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { runServer } from "verdaccio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { match } from "../helpers/matchers.js";
import { PROFILE_ARGS, textOf } from "../helpers/stack.js";
import { STORE } from "../helpers/store.js";

const execFileAsync = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name: string; version: string };
const sqlitePkg = JSON.parse(readFileSync(join(ROOT, "node_modules/better-sqlite3/package.json"), "utf8")) as { version: string };
const fresh = (name: string) => mkdtempSync(join(tmpdir(), `ecn-registry-${name}-`));
/** The packed tarball may grow; past this something that should not ship is shipping. */
const TARBALL_LIMIT_BYTES = 400 * 1024;
const UPSTREAM = process.env.npm_config_registry || "https://registry.npmjs.org/";

/** Dependencies come from the npm registry through verdaccio: without it (offline, outside CI) the test cannot run. */
async function upstreamReachable(): Promise<boolean> {
  try {
    return (await fetch(new URL("better-sqlite3", UPSTREAM), { method: "HEAD", signal: AbortSignal.timeout(15_000) })).ok;
  } catch {
    return false;
  }
}

const canRun = STORE === "sqlite" && (process.env.CI === "true" || (await upstreamReachable()));
if (STORE === "sqlite" && !canRun) process.stderr.write(`registry install test skipped: the npm registry (${UPSTREAM}) is not reachable\n`);

const run = (file: string, args: string[], options: ExecFileOptions = {}) =>
  execFileAsync(file, args, { maxBuffer: 32 * 1024 * 1024, encoding: "utf8", ...options }) as Promise<{ stdout: string; stderr: string }>;

/** Starts one HTTP server on a loopback port. */
async function listen(server: Server): Promise<string> {
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The file prebuild-install asks for: {host}/v{version}/better-sqlite3-v{version}-node-v{abi}-{platform}{libc}-{arch}.tar.gz. */
function prebuiltName(): string {
  const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
  const libc = process.platform === "linux" && !glibc ? "musl" : "";
  return `better-sqlite3-v${sqlitePkg.version}-node-v${process.versions.modules}-${process.platform}${libc}-${process.arch}.tar.gz`;
}

interface PublishReport {
  files: { path: string }[];
  size: number;
  version: string;
}

/** The same settings without the prebuilt mirror, which npm itself warns about as an unknown config (prebuild-install reads it from the environment). */
function withoutMirror(env: Record<string, string>): Record<string, string> {
  const { npm_config_better_sqlite3_binary_host: _mirror, ...rest } = env;
  return rest;
}

describe.skipIf(!canRun)("the published package", () => {
  const servers: Server[] = [];
  const mirrorRequests: string[] = [];
  let registry: string;
  let mirror: string;
  let env: Record<string, string>;
  let published: { report: PublishReport; stderr: string };
  let beforePublish: number;

  beforeAll(async () => {
    // The prebuilt binary, packed as prebuild-install unpacks it (build/Release/better_sqlite3.node), served on loopback.
    const prebuilt = join(fresh("prebuilt"), prebuiltName());
    await run("tar", ["-czf", prebuilt, "-C", join(ROOT, "node_modules/better-sqlite3"), "build/Release/better_sqlite3.node"]);
    const mirrorServer = createServer((req, res) => {
      mirrorRequests.push(req.url ?? "");
      if (req.url === `/v${sqlitePkg.version}/${prebuiltName()}`) res.writeHead(200, { "content-type": "application/gzip" }).end(readFileSync(prebuilt));
      else res.writeHead(404).end();
    });
    servers.push(mirrorServer);
    mirror = await listen(mirrorServer);

    // A registry that has never heard of ecn-mcp except from us, and proxies everything else to the npm registry.
    const dir = fresh("verdaccio");
    const config = {
      storage: join(dir, "storage"),
      auth: { htpasswd: { file: join(dir, "htpasswd") } },
      uplinks: { npmjs: { url: UPSTREAM, timeout: "60s", max_fails: 5, maxage: "1h" } },
      packages: {
        [pkg.name]: { access: "$all", publish: "$authenticated" },
        "@*/*": { access: "$all", publish: "$authenticated", proxy: "npmjs" },
        "**": { access: "$all", publish: "$authenticated", proxy: "npmjs" },
      },
      web: { enable: false },
      max_body_size: "50mb",
      log: { type: "stdout", format: "json", level: "error" },
    };
    writeFileSync(join(dir, "config.yaml"), JSON.stringify(config)); // JSON is YAML
    const registryServer = (await runServer(join(dir, "config.yaml"))) as Server;
    servers.push(registryServer);
    registry = await listen(registryServer);

    // A publisher account on it, and a fresh user for everything that follows.
    const user = (await (
      await fetch(`${registry}/-/user/org.couchdb.user:publisher`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "publisher", password: "publisher-password" }),
      })
    ).json()) as { token: string };
    const home = fresh("home");
    const npmrc = join(home, ".npmrc");
    writeFileSync(npmrc, `registry=${registry}/\n${registry.replace(/^http:/, "")}/:_authToken=${user.token}\n`);
    env = {
      PATH: process.env.PATH ?? "",
      HOME: home,
      npm_config_userconfig: npmrc,
      npm_config_cache: join(home, "npm-cache"),
      npm_config_registry: `${registry}/`,
      npm_config_update_notifier: "false",
      npm_config_audit: "false",
      npm_config_fund: "false",
      npm_config_better_sqlite3_binary_host: mirror,
    };

    // What `npm publish` would send, asked before the real publish (a dry run of an existing version is refused).
    const dryRun = await run("npm", ["publish", "--dry-run", "--json"], { cwd: ROOT, env: withoutMirror(env) });
    published = { report: (JSON.parse(dryRun.stdout) as Record<string, PublishReport>)[pkg.name]!, stderr: dryRun.stderr };
    const destination = fresh("tgz");
    const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", destination], { cwd: ROOT });
    const tarball = join(destination, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
    beforePublish = (await fetch(`${registry}/${pkg.name}`)).status;
    await run("npm", ["publish", tarball], { cwd: fresh("publish"), env });
  }, 300_000);

  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  });

  it("serves ecn-mcp only as published to it: before the publish the name is unknown there, whatever the npm registry holds", () => {
    expect(beforePublish).toBe(404);
  });

  it("packs lean: dist, migrations, README and LICENSE; no tests, sources, source maps or drizzle snapshots", async () => {
    const { report, stderr } = published;
    expect(stderr).not.toMatch(/npm warn/i);
    const files = report.files.map((f) => f.path);
    expect(report.version).toBe(pkg.version);
    expect(files).toEqual(
      expect.arrayContaining([
        "package.json",
        "README.md",
        "LICENSE",
        "dist/cli/main.js",
        "drizzle/sqlite/meta/_journal.json",
        "drizzle/postgres/meta/_journal.json",
      ]),
    );
    expect(files.filter((f) => !/^(dist|drizzle)\//.test(f) && !["package.json", "README.md", "LICENSE"].includes(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith(".map") || f.endsWith(".ts") || f.endsWith("_snapshot.json"))).toEqual([]);
    expect(report.size).toBeLessThan(TARBALL_LIMIT_BYTES);
  });

  it("`npx -y ecn-mcp@VERSION --help` installs it from the registry with a fresh cache, downloading the prebuilt better-sqlite3", async () => {
    const { stdout } = await run("npx", ["-y", `${pkg.name}@${pkg.version}`, "--help"], { cwd: fresh("npx"), env });
    expect(stdout).toMatch(/^Usage: ecn-mcp /m);
    expect(stdout).toMatch(/^\s+stdio\b/m);
    // prebuild-install fetched the binary for this platform and Node ABI once; nothing was compiled.
    expect(mirrorRequests).toEqual([`/v${sqlitePkg.version}/${prebuiltName()}`]);
    const npxDirs = readdirSync(join(env.npm_config_cache!, "_npx")).map((d) => join(env.npm_config_cache!, "_npx", d, "node_modules", "better-sqlite3"));
    const installed = npxDirs.find((d) => existsSync(d))!;
    expect(existsSync(join(installed, "build/Release/better_sqlite3.node"))).toBe(true);
    expect(existsSync(join(installed, "build/Release/obj.target")), "node-gyp compiled better-sqlite3").toBe(false);
  }, 600_000);

  it("serves a sandbox stdio session through npx: tools listed, a paid tool charged against the built-in simulators, marked sandbox", async () => {
    let stderr = "";
    const transport = new StdioClientTransport({
      command: "npx",
      args: ["-y", `${pkg.name}@${pkg.version}`, "stdio", "--sandbox"],
      env,
      cwd: fresh("session"),
      stderr: "pipe",
    });
    transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const client = new Client({ name: "npx-sandbox", version: "1.0.0" });
    await client.connect(transport);
    try {
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      expect(names).toEqual(expect.arrayContaining(["get_wallet_balance", "profile_draft", "lead_signal_fetch", "permit_search"]));
      const draft = (await client.callTool({ name: "profile_draft", arguments: PROFILE_ARGS })) as CallToolResult;
      expect(draft.isError, `${textOf(draft)}\n${stderr}`).toBeFalsy();
      const metering = (draft.structuredContent as { metering: Record<string, unknown> }).metering;
      expect(metering).toMatchObject({ sandbox: true, credits_charged: match.any(Number) });
      expect(metering.credits_charged).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
    expect(stderr).toMatch(/SANDBOX: simulated providers and Stripe on loopback/);
  }, 300_000);

  it("installs globally from the registry, and the installed CLI's mcp-config block serves a tool call", async () => {
    const prefix = fresh("prefix");
    // The npx run above filled the npm cache: reuse it without revalidating, as a second install on a machine does.
    await run("npm", ["install", "-g", `${pkg.name}@${pkg.version}`, "--prefix", prefix, "--prefer-offline"], { cwd: fresh("cwd"), env });
    const home = fresh("user");
    const userEnv = { PATH: process.env.PATH ?? "", HOME: home, ECN_DB_PATH: join(home, "ledger.db") };
    const ecn = (...args: string[]) => run(join(prefix, "bin", "ecn-mcp"), args, { env: userEnv });
    await ecn("org", "create", "packed");
    await ecn("credits", "grant", "--org", "packed", "--credits", "7");
    const block = JSON.parse((await ecn("mcp-config", "--org", "packed")).stdout) as {
      mcpServers: { "ecn-mcp": { command: string; args: string[]; env: Record<string, string> } };
    };
    const entry = block.mcpServers["ecn-mcp"];
    expect(entry.args[0]).toBe(join(prefix, "lib", "node_modules", "ecn-mcp", "dist", "cli", "main.js"));

    const client = new Client({ name: "packed", version: "1.0.0" });
    await client.connect(
      new StdioClientTransport({ command: entry.command, args: entry.args, env: { ...entry.env, HOME: home }, cwd: fresh("client"), stderr: "pipe" }),
    );
    try {
      expect((await client.callTool({ name: "get_wallet_balance", arguments: {} })).structuredContent).toMatchObject({ balance_credits: 7 });
    } finally {
      await client.close();
    }
  }, 600_000);
});
