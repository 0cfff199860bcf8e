/**
 * JSON-RPC batches over HTTP: each message of a batch counts against the
 * key's rate limit (a hundred tool calls in one POST are a hundred requests),
 * and a batch over the limit reaches no provider and writes nothing.
 */
import { describe, expect, it } from "vitest";
import { startHttpStack, type HttpStack } from "../helpers/http-stack.js";
import { match } from "../helpers/matchers.js";
import { countRows, PROFILE_ARGS } from "../helpers/stack.js";

function post(stack: HttpStack, key: string, body: unknown): Promise<Response> {
  return fetch(`${stack.url}/mcp`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify(body),
  });
}

const call = (id: number, name = "profile_draft", args: Record<string, unknown> = PROFILE_ARGS) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: args },
});

describe("JSON-RPC batches and the rate limit", () => {
  it("refuses a batch of more tool calls than the key may make: no provider request, no ledger row", async () => {
    const stack = await startHttpStack({ orgs: { acme: "100" }, env: { ECN_HTTP_RATE_LIMIT: "5" } });
    const response = await post(
      stack,
      stack.keys.acme!,
      Array.from({ length: 20 }, (_, i) => call(i + 1)),
    );
    expect(response.status).toBe(429);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await response.json()).toEqual({ jsonrpc: "2.0", error: { code: -32000, message: match.stringMatching(/^rate_limited: /) }, id: null });
    expect(stack.providers.sim.paidRequests()).toHaveLength(0);
    expect(await countRows(stack, "tool_calls")).toBe(0n);
  });

  it("counts each message of a batch it serves", async () => {
    const stack = await startHttpStack({ orgs: { acme: "100" }, env: { ECN_HTTP_RATE_LIMIT: "5" } });
    const key = stack.keys.acme!;
    const batch = await post(
      stack,
      key,
      [1, 2, 3, 4].map((id) => call(id, "get_wallet_balance", {})),
    );
    expect(batch.status).toBe(200);
    expect((await batch.text()).match(/"balance_credits":100/g)).toHaveLength(4);
    // Four of five used: one request more is served, the next is not.
    expect((await stack.get("/api/v1/credits/wallet/", key)).status).toBe(200);
    expect((await stack.get("/api/v1/credits/wallet/", key)).status).toBe(429);
  });

  it("refuses an argument named __proto__ over HTTP too", async () => {
    const stack = await startHttpStack();
    const raw = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"profile_draft","arguments":${JSON.stringify(PROFILE_ARGS).replace(/^\{/, '{"__proto__":{"max_tokens":16},')}}}`;
    const response = await fetch(`${stack.url}/mcp`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.keys.acme!}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: raw,
    });
    expect(await response.text()).toContain('invalid_input: arguments: Unrecognized key: \\"__proto__\\"');
    expect(stack.providers.sim.paidRequests()).toHaveLength(0);
    expect(await countRows(stack, "tool_calls")).toBe(0n);
  });
});
