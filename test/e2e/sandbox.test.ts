/**
 * The sandbox: the real server against the built-in simulators and a ledger
 * of its own. The configured providers are a trap that records any request,
 * and the live ledger is checked untouched: no sandbox call may reach either.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { callToolOverHttp, spawnHttpServer } from "../helpers/http-stack.js";
import { match } from "../helpers/matchers.js";
import { payOnPage } from "../helpers/payments.js";
import { CLI, cliRunner, PROFILE_ARGS, textOf, waitFor } from "../helpers/stack.js";
import { freshTarget, openTestLedger, sqlRows } from "../helpers/store.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A stand-in for the real providers: answers 500 to anything and remembers that it was asked. */
async function trap(): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

async function liveSetup() {
  const fresh = await freshTarget();
  const home = mkdtempSync(join(tmpdir(), "ecn-sandbox-home-"));
  const provider = await trap();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: home,
    XDG_DATA_HOME: join(home, "data"),
    ...fresh.env,
    OPENROUTER_API_KEY: "sk-or-v1-live-key-that-must-never-be-used",
    OPENROUTER_BASE_URL: `${provider.url}/api/v1`,
    APIFY_API_TOKEN: "apify_api_live_token_never_used",
    APIFY_BASE_URL: provider.url,
    ECN_SOCRATA_BASE_URL: provider.url,
  };
  await cliRunner(env)("org", "create", "local"); // the live ledger exists, with the stdio server's organisation
  // Beside the live file, or in the default place when the live ledger is PostgreSQL: never in the live database.
  const sandboxFile = fresh.dbPath ? fresh.dbPath.replace(/\.db$/, ".sandbox.db") : join(home, "data", "ecn-mcp", "ecn.sandbox.db");
  return { env, provider, live: await openTestLedger(fresh.target), sandboxFile };
}

describe("the sandbox", () => {
  it("stdio --sandbox: paid and free tools run on the simulators and a sandbox ledger; nothing reaches the providers or the live ledger", async () => {
    const { env, provider, live, sandboxFile } = await liveSetup();
    let stderr = "";
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, "stdio", "--sandbox"], env, stderr: "pipe" });
    transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const client = new Client({ name: "sandbox-e2e", version: "1.0.0" });
    await client.connect(transport);
    cleanups.push(() => client.close());
    const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;

    const draft = await call("profile_draft", PROFILE_ARGS);
    expect(draft.isError, textOf(draft)).toBeFalsy();
    expect((draft.structuredContent as { metering: Record<string, unknown> }).metering).toMatchObject({ sandbox: true, credits_charged: match.any(Number) });
    const leads = await call("lead_signal_fetch", { query: "roofers Denver", max_results: 5 });
    expect(leads.isError, textOf(leads)).toBeFalsy();
    expect((leads.structuredContent as { metering: Record<string, unknown> }).metering).toMatchObject({ sandbox: true });
    const permits = await call("permit_search", { city: "chicago", limit: 3 });
    expect(permits.isError, textOf(permits)).toBeFalsy();

    expect(provider.requests).toEqual([]);
    expect(await sqlRows(live, "SELECT count(*) AS n FROM tool_calls")).toEqual([{ n: 0n }]);
    expect(await sqlRows(live, "SELECT count(*) AS n FROM data_query_log")).toEqual([{ n: 0n }]);
    expect(existsSync(sandboxFile)).toBe(true);
    const sandbox = await openTestLedger({ dbPath: sandboxFile });
    expect(await sqlRows(sandbox, "SELECT feature, state FROM tool_calls ORDER BY created_at")).toEqual([
      { feature: "profile_draft", state: "settled" },
      { feature: "lead_signal_fetch", state: "settled" },
    ]);
    expect(stderr).toMatch(/SANDBOX: simulated providers and Stripe on loopback, sandbox ledger .*ecn\.sandbox\.db/);
    expect(stderr).not.toMatch(/live-key-that-must-never-be-used|live_token_never_used/);
  });

  it("ECN_SANDBOX=1: every verb and the HTTP server work on the sandbox ledger", async () => {
    const { env: liveEnv, provider, live } = await liveSetup();
    const env = { ...liveEnv, ECN_SANDBOX: "1" };
    const cli = cliRunner(env);
    await cli("org", "create", "acme");
    await cli("credits", "grant", "--org", "acme", "--credits", "50");
    const key = (JSON.parse((await cli("key", "create", "--org", "acme", "--json")).stdout) as { key: string }).key;
    const server = await spawnHttpServer(env);
    expect(await callToolOverHttp(server.url, key, "profile_draft", PROFILE_ARGS)).toEqual({ ok: true, code: "ok" });
    expect(provider.requests).toEqual([]);
    expect(await live.findOrg("acme")).toBeNull();
    expect(await sqlRows(live, "SELECT count(*) AS n FROM tool_calls")).toEqual([{ n: 0n }]);
  });

  it("ECN_SANDBOX=1 with live Stripe keys: checkout and its webhook run on the simulated Stripe, never the configured one", async () => {
    const { env: liveEnv, provider, live } = await liveSetup();
    const env = {
      ...liveEnv,
      ECN_SANDBOX: "1",
      ECN_STRIPE_SECRET_KEY: "sk_live_real_key_that_must_never_be_used",
      ECN_STRIPE_WEBHOOK_SECRET: "whsec_live_secret_never_used",
      ECN_STRIPE_BASE_URL: provider.url,
    };
    const cli = cliRunner(env);
    await cli("org", "create", "acme");
    await cli("credits", "grant", "--org", "acme", "--credits", "1");
    await cli("packs", "set", "starter", "--credits", "100", "--usd", "1");
    const key = (JSON.parse((await cli("key", "create", "--org", "acme", "--json")).stdout) as { key: string }).key;
    const server = await spawnHttpServer(env);
    const checkout = await fetch(`${server.url}/api/v1/credits/checkout`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ pack: "starter" }),
    });
    expect(checkout.status).toBe(200);
    const { url } = (await checkout.json()) as { url: string };
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/c\/pay\/cs_test_/);
    expect(url.startsWith(provider.url)).toBe(false);
    expect((await payOnPage(url, "4242424242424242")).status).toBe(303);
    const wallet = async () =>
      (await (await fetch(`${server.url}/api/v1/credits/wallet/`, { headers: { authorization: `Bearer ${key}` } })).json()) as { balance_credits: number };
    await waitFor(async () => (await wallet()).balance_credits === 101, 20_000);
    expect(provider.requests).toEqual([]);
    expect(await live.findOrg("acme")).toBeNull();
    expect(server.stderr()).not.toMatch(/sk_live_real_key|whsec_live_secret/);
  });

  it("ecn-mcp simulate prints the settings that point a server at the simulators, and stops on SIGINT", async () => {
    const proc = spawn(process.execPath, [CLI, "simulate"], { stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => proc.once("exit", resolve));
    cleanups.push(async () => {
      if (proc.exitCode === null) proc.kill("SIGKILL");
      await exited;
    });
    let out = "";
    await new Promise<void>((resolve) =>
      proc.stdout.on("data", (chunk: Buffer) => ((out += chunk.toString()), /ECN_SOCRATA_BASE_URL=/.test(out) && resolve())),
    );
    const settings = Object.fromEntries([...out.matchAll(/^export (\w+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    expect(Object.keys(settings).sort()).toEqual(["APIFY_API_TOKEN", "APIFY_BASE_URL", "ECN_SOCRATA_BASE_URL", "OPENROUTER_API_KEY", "OPENROUTER_BASE_URL"]);
    const fresh = await freshTarget();
    const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...fresh.env, ...settings };
    await cliRunner(env)("org", "create", "local");
    await cliRunner(env)("credits", "grant", "--org", "local", "--credits", "10");
    const client = new Client({ name: "simulate-e2e", version: "1.0.0" });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI], env }));
    cleanups.push(() => client.close());
    const draft = (await client.callTool({ name: "profile_draft", arguments: PROFILE_ARGS })) as CallToolResult;
    expect(draft.isError, textOf(draft)).toBeFalsy();
    proc.kill("SIGINT");
    expect(await exited).toBe(0);
  });
});
