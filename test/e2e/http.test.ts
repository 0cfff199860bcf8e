/**
 * HTTP mode against the real server on a loopback port with real HTTP:
 * statuses, tenant isolation, the SDK's Streamable HTTP client with a bearer
 * key, revocation, hashed keys, graceful shutdown, metrics.
 */
import { request } from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { startHttpStack, type HttpStack } from "../helpers/http-stack.js";
import { match } from "../helpers/matchers.js";
import { waitFor } from "../helpers/stack.js";
import { assertInvariants, sqlRows, STORE, storedText } from "../helpers/store.js";

async function mcpClient(stack: HttpStack, key: string): Promise<Client> {
  const client = new Client({ name: "http-e2e", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${stack.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
  return client;
}

async function errorBody(response: Response): Promise<{ code: string | number; message: string }> {
  const text = await response.text();
  expect(text).not.toMatch(/\n\s+at /); // never a stack trace
  return (JSON.parse(text) as { error: { code: string | number; message: string } }).error;
}

/** A raw request with a chosen Host header (fetch does not let us forge one). */
function rawGet(url: string, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url + path, { headers: { host } }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const LLM_ARGS = { business_name: "Acme", notes: "A bakery in Portland with sourdough bread and a friendly, warm tone." };

describe("HTTP refusals", () => {
  it("answers each refusal with its status and a JSON error", async () => {
    const stack = await startHttpStack({ env: { ECN_HTTP_RATE_LIMIT: "6", ECN_LOG_LEVEL: "debug" } });
    const key = stack.keys.acme!;
    expect(await (await stack.get("/healthz")).json()).toMatchObject({ status: "ok", ledger: "writable" });

    const missing = await stack.get("/api/v1/credits/wallet/");
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await errorBody(missing)).toMatchObject({ code: "unauthorized" });
    const wrong = await stack.get("/api/v1/credits/wallet/", key.slice(0, -2) + "xx");
    expect(wrong.status).toBe(401);

    const badHost = await rawGet(stack.url, "/api/v1/credits/wallet/", "evil.example:8787");
    expect(badHost.status).toBe(403);
    expect(JSON.parse(badHost.body)).toMatchObject({ error: { code: "forbidden_host" } });

    const big = await fetch(`${stack.url}/mcp`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { pad: "x".repeat(1_100_000) } }),
    });
    expect(big.status).toBe(413);
    // On the MCP endpoint a failure before MCP is a JSON-RPC error, our code leading the message.
    expect(await errorBody(big)).toMatchObject({ code: -32600, message: match.stringMatching(/^payload_too_large: /) });

    const malformed = await fetch(`${stack.url}/mcp`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: "{not json",
    });
    expect(malformed.status).toBe(400);
    expect(await errorBody(malformed)).toMatchObject({ code: -32700 }); // a JSON-RPC parse error on the MCP endpoint

    const unknown = await stack.get("/api/v1/nothing/", key);
    expect(unknown.status).toBe(404);
    expect(await errorBody(unknown)).toMatchObject({ code: "not_found" });
    const getMcp = await stack.get("/mcp", key);
    expect(getMcp.status).toBe(405);

    const badQuery = await stack.get("/api/v1/usage/?limit=100000", key);
    expect(badQuery.status).toBe(400);
    expect(await errorBody(badQuery)).toMatchObject({ code: "invalid_input" });

    // 5 authenticated requests so far; the 7th in the minute is refused.
    await stack.get("/api/v1/credits/wallet/", key);
    const limited = await stack.get("/api/v1/credits/wallet/", key);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await errorBody(limited)).toMatchObject({ code: "rate_limited" });
    // Secrets never show up in the server's logs, even at debug level.
    // Log lines are JSON on a pipe: one object per line, the level and message as fields.
    expect(stack.stderr()).toMatch(/^\{"level":"debug",[^\n]*"method":"GET"[^\n]*"msg":"http"\}$/m);
    for (const secret of [key, stack.providers.sim.apiKey, stack.providers.apify.token]) expect(stack.stderr()).not.toContain(secret);
  });

  it("limits each key, and each organisation with all its keys together", async () => {
    const stack = await startHttpStack({ env: { ECN_HTTP_RATE_LIMIT: "3", ECN_HTTP_ORG_RATE_LIMIT: "5" } });
    const first = stack.keys.acme!;
    const second = (JSON.parse((await stack.cli("key", "create", "--org", "acme", "--json")).stdout) as { key: string }).key;
    const statuses = async (key: string, count: number) => {
      const out: number[] = [];
      for (let i = 0; i < count; i++) out.push((await stack.get("/api/v1/credits/wallet/", key)).status);
      return out;
    };
    expect(await statuses(first, 3)).toEqual([200, 200, 200]);
    const overKey = await stack.get("/api/v1/credits/wallet/", first);
    expect(overKey.status).toBe(429);
    expect((await errorBody(overKey)).message).toMatch(/^more than 3 requests a minute with this API key; retry after \d+ s$/);
    // The second key has its own 3, but the organisation has only 5 in all (the refused request counted too).
    expect(await statuses(second, 1)).toEqual([200]);
    const overOrg = await stack.get("/api/v1/credits/wallet/", second);
    expect(overOrg.status).toBe(429);
    expect((await errorBody(overOrg)).message).toMatch(/^more than 5 requests a minute for this organisation \(all its API keys and connections together\)/);
  });

  it("stops accepting a revoked key as soon as it hears of the revoke", async () => {
    const stack = await startHttpStack();
    const key = stack.keys.acme!;
    expect((await stack.get("/api/v1/credits/wallet/", key)).status).toBe(200);
    const [record] = await stack.ledger.listApiKeys();
    await stack.cli("key", "revoke", record!.id);
    // The server cached the key: SQLite's change counter shows the CLI's commit at once, PostgreSQL's
    // notification arrives with it (a message across the network, so the test waits for it).
    await waitFor(async () => (await stack.get("/api/v1/credits/wallet/", key)).status === 401);
    const after = await stack.get("/api/v1/credits/wallet/", key);
    expect(after.status).toBe(401);
    expect(await errorBody(after)).toMatchObject({ code: "unauthorized", message: match.stringMatching(/wrong or revoked/) });
  });

  it("records when a key was last used, even when its first requests arrive together", async () => {
    const stack = await startHttpStack();
    const key = stack.keys.acme!;
    const before = JSON.parse((await stack.cli("key", "list", "--json")).stdout) as { last_used_at: string | null }[];
    expect(before[0]!.last_used_at).toBeNull();
    const statuses = await Promise.all(Array.from({ length: 16 }, async () => (await stack.get("/api/v1/credits/wallet/", key)).status));
    expect(statuses).toEqual(Array(16).fill(200));
    const after = JSON.parse((await stack.cli("key", "list", "--json")).stdout) as { last_used_at: string | null }[];
    expect(Date.parse(after[0]!.last_used_at!)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("never stores a key in clear", async () => {
    const stack = await startHttpStack({ orgs: { acme: "1", beta: "1" } });
    const stored = await storedText(stack.ledger, stack.providers.dbPath);
    for (const key of Object.values(stack.keys)) {
      expect(stored).not.toContain(key);
      expect(stored).not.toContain(key.slice(7)); // nor its random part
    }
    const keys = (await sqlRows(stack.ledger, "SELECT prefix, key_hash FROM api_keys")) as { prefix: string; key_hash: string }[];
    expect(keys).toHaveLength(2);
    for (const row of keys) {
      expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.prefix).toMatch(/^ecn_sk_.{6}$/);
    }
  });
});

describe("tenant isolation", () => {
  it("gives each key its own organisation's wallet and usage, whatever the request says", async () => {
    const stack = await startHttpStack({ orgs: { acme: "100", beta: "50" } });
    const acme = stack.keys.acme!;
    const beta = stack.keys.beta!;
    const client = await mcpClient(stack, acme);
    const result = (await client.callTool({ name: "profile_draft", arguments: LLM_ARGS })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    await client.close();

    const acmeWallet = (await (await stack.get("/api/v1/credits/wallet/", acme)).json()) as { org_id: string; balance_credits: number };
    const betaWallet = (await (await stack.get(`/api/v1/credits/wallet/?org_id=${acmeWallet.org_id}`, beta)).json()) as {
      org_id: string;
      balance_credits: number;
    };
    expect(acmeWallet.org_id).toBe(stack.orgIds.acme);
    expect(acmeWallet.balance_credits).toBeLessThan(100);
    expect(betaWallet).toMatchObject({ org_id: stack.orgIds.beta, balance_credits: 50 });

    const acmeUsage = (await (await stack.get("/api/v1/usage/", acme)).json()) as { events: unknown[] };
    const betaUsage = (await (await stack.get(`/api/v1/usage/?org_id=${stack.orgIds.acme}&org=acme`, beta, { "x-org-id": stack.orgIds.acme! })).json()) as {
      org_id: string;
      events: unknown[];
    };
    expect(acmeUsage.events).toHaveLength(1);
    expect(betaUsage).toEqual({ org_id: stack.orgIds.beta, events: [], next_cursor: null });
    const rates = (await (await stack.get("/api/v1/credits/rate-cards/", beta)).json()) as { rate_cards: unknown[] };
    expect(rates.rate_cards).toHaveLength(10);
  });

  it("pages through usage events with a cursor", async () => {
    const stack = await startHttpStack();
    const key = stack.keys.acme!;
    const client = await mcpClient(stack, key);
    for (let i = 0; i < 3; i++) await client.callTool({ name: "profile_draft", arguments: LLM_ARGS });
    await client.close();
    const first = (await (await stack.get("/api/v1/usage/?limit=2", key)).json()) as { events: { id: string }[]; next_cursor: string };
    expect(first.events).toHaveLength(2);
    const second = (await (await stack.get(`/api/v1/usage/?limit=2&cursor=${first.next_cursor}`, key)).json()) as {
      events: { id: string }[];
      next_cursor: string | null;
    };
    expect(second.events).toHaveLength(1);
    expect(second.next_cursor).toBeNull();
    expect(new Set([...first.events, ...second.events].map((e) => e.id)).size).toBe(3);
    const filtered = (await (await stack.get("/api/v1/usage/?feature=lead_qualify", key)).json()) as { events: unknown[] };
    expect(filtered.events).toEqual([]);
  });
});

describe("Streamable HTTP MCP", () => {
  it("runs a paid Apify call with a bearer key, streams progress, and charges the key's organisation", async () => {
    const stack = await startHttpStack({ orgs: { acme: "100", beta: "100" } });
    // The run stands at its first results page until the test has seen it reported: no race with the clock.
    stack.providers.apify.behave({ durationMs: 300, holdAtItems: 1 });
    const client = await mcpClient(stack, stack.keys.beta!);
    const progress: string[] = [];
    const pending = client.callTool({ name: "lead_signal_fetch", arguments: { query: "bakeries Portland", max_results: 20 } }, undefined, {
      onprogress: (p) => void progress.push(p.message ?? ""),
      resetTimeoutOnProgress: true,
    });
    await waitFor(
      () => progress.includes("RUNNING: 1 of 2 results pages so far"),
      60_000,
      () => JSON.stringify(progress),
    );
    stack.providers.apify.release();
    const result = (await pending) as CallToolResult;
    await client.close();
    expect(result.isError).toBeFalsy();
    const metering = (result.structuredContent as { metering: { balance_credits: number; credits_charged: number } }).metering;
    expect(metering.credits_charged).toBeGreaterThan(0);
    expect(await stack.ledger.getWallet(stack.orgIds.beta!)).toMatchObject({ heldMicroCredits: 0n });
    expect((await stack.ledger.getWallet(stack.orgIds.beta!)).balanceMicroCredits).toBeLessThan(100_000_000n);
    expect((await stack.ledger.getWallet(stack.orgIds.acme!)).balanceMicroCredits).toBe(100_000_000n);
    await assertInvariants(stack.ledger);
  });

  it("lets a paid call in flight settle on SIGTERM, then exits with no open hold", async () => {
    const stack = await startHttpStack();
    // The run stands still until the server has begun to stop: the call is in flight at SIGTERM, whatever the machine's speed.
    stack.providers.apify.behave({ durationMs: 300, holdAtItems: 1 });
    const client = await mcpClient(stack, stack.keys.acme!);
    const pending = client.callTool({ name: "lead_signal_fetch", arguments: { query: "roofers Denver", max_results: 20 } }, undefined, {
      resetTimeoutOnProgress: true,
    });
    await waitFor(() => stack.providers.apify.startedRuns().length === 1);
    stack.proc.kill("SIGTERM");
    await waitFor(() => /HTTP server stopping/.test(stack.stderr()), 60_000, stack.stderr);
    stack.providers.apify.release();
    const result = (await pending) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(await stack.exited).toBe(0);
    expect(await stack.ledger.openCalls()).toEqual([]);
    expect(await stack.ledger.getWallet(stack.orgIds.acme!)).toMatchObject({ heldMicroCredits: 0n });
    await assertInvariants(stack.ledger);
    await client.close().catch(() => undefined);
  });

  it("serves Prometheus metrics to the metrics token only", async () => {
    const stack = await startHttpStack({ env: { ECN_METRICS_TOKEN: "metrics-secret-123" } });
    const client = await mcpClient(stack, stack.keys.acme!);
    await client.callTool({ name: "profile_draft", arguments: LLM_ARGS });
    const refused = (await client.callTool({ name: "profile_draft", arguments: { business_name: "" } })) as CallToolResult;
    expect(refused.isError).toBe(true);
    await client.close();
    expect((await stack.get("/metrics")).status).toBe(401);
    expect((await stack.get("/metrics", stack.keys.acme)).status).toBe(401);
    const metrics = await (await stack.get("/metrics", "metrics-secret-123")).text();
    // How long the paid call's hold, provider request and settle took, one observation each.
    expect(metrics).toMatch(/ecn_hold_duration_seconds_count\{feature="profile_draft"\} 1\n/);
    expect(metrics).toMatch(/ecn_provider_request_duration_seconds_count\{provider="openrouter",operation="chat"\} 1\n/);
    expect(metrics).toMatch(/ecn_settle_duration_seconds_count\{outcome="settled"\} 1\n/);
    expect(metrics).toMatch(/ecn_settle_duration_seconds_bucket\{le="\+Inf",outcome="settled"\} 1\n/);
    // Refusals by code: the tool call with bad arguments, and the two requests for /metrics without its token.
    expect(metrics).toMatch(/ecn_refusals_total\{code="invalid_input"\} 1\n/);
    expect(metrics).toMatch(/ecn_refusals_total\{code="unauthorized"\} 2\n/);
    expect(metrics).toMatch(/ecn_paid_calls_total\{feature="profile_draft",outcome="settled"\} 1/);
    expect(metrics).toMatch(/ecn_tool_calls_total\{tool="profile_draft",outcome="ok"\} 1/);
    expect(metrics).toMatch(/ecn_tool_calls_total\{tool="profile_draft",outcome="error"\} 1/);
    expect(metrics).toMatch(/ecn_credits_charged_total\{feature="profile_draft"\} [\d.e-]+/);
    expect(metrics).toMatch(/ecn_provider_cost_usd_total\{feature="profile_draft",provider="openrouter"\}/);
    expect(metrics).toMatch(/ecn_tool_call_duration_seconds_bucket/);
    // The PostgreSQL store's pool is reported too; the SQLite store has none.
    if (STORE === "postgres") {
      expect(metrics).toMatch(/ecn_ledger_pool_connections\{state="total"\} [1-9]/);
      expect(metrics).toMatch(/ecn_ledger_pool_waiting 0/);
      expect(metrics).toMatch(/ecn_ledger_query_errors 0/);
    } else expect(metrics).not.toContain("ecn_ledger_pool");
  });

  it("turns metrics off without a metrics token", async () => {
    const stack = await startHttpStack();
    expect((await stack.get("/metrics", stack.keys.acme)).status).toBe(404);
  });
});
