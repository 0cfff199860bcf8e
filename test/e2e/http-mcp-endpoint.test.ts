/**
 * POST /mcp as a client sees it, request by request: every refusal's status,
 * headers and JSON-RPC error (host, origin, operator token, missing or wrong
 * key, media type, Accept, protocol version, charset, content encoding,
 * body size, body that is not JSON or not JSON-RPC), the answers that are
 * not refusals (a ping, a gzip body, a trailing slash, notifications only),
 * and what the server counts and logs about them. Then many paid calls of
 * two organisations in flight together: each charged to its own
 * organisation and key, with its own answer; and the lines a paid call
 * writes (a budget warning from the metering core, a provider's failure)
 * naming the key it came through.
 */
import { request } from "node:http";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { startHttpStack, type HttpStack } from "../helpers/http-stack.js";
import { logLines } from "../helpers/logs.js";
import { match } from "../helpers/matchers.js";
import { PROFILE_ARGS } from "../helpers/stack.js";
import { assertInvariants, sqlRows } from "../helpers/store.js";

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

interface RawRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string | undefined>;
  body?: string | Buffer;
}

const ADMIN_TOKEN = "operator-token-0123456789abcdef";
const METRICS_TOKEN = "metrics-token-0123456789";
const PING = JSON.stringify({ jsonrpc: "2.0", id: 7, method: "ping" });

/** One request as sent on the wire (fetch can neither forge Host nor send a gzip body as it is). */
function raw(stack: HttpStack, key: string, given: RawRequest): Promise<RawAnswer> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${key}`,
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  };
  for (const [name, value] of Object.entries(given.headers ?? {})) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  const body = given.body ?? PING;
  return new Promise((resolve, reject) => {
    const req = request(`${stack.url}${given.path ?? "/mcp"}`, { method: given.method ?? "POST", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** The JSON-RPC error a refusal on /mcp carries. */
function rpcError(answer: RawAnswer): { code: number; message: string } {
  expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
  const body = JSON.parse(answer.body) as { jsonrpc: string; id: unknown; error: { code: number; message: string } };
  expect(body).toMatchObject({ jsonrpc: "2.0", id: null });
  return body.error;
}

/** The messages of an SSE answer. */
function events(answer: RawAnswer): unknown[] {
  expect(answer.headers["content-type"]).toBe("text/event-stream");
  return answer.body
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => JSON.parse(line.slice(6)) as unknown);
}

describe("POST /mcp, request by request", () => {
  it("answers and refuses each request as a client expects, and counts and logs them", async () => {
    const stack = await startHttpStack({
      env: { ECN_ADMIN_TOKEN: ADMIN_TOKEN, ECN_METRICS_TOKEN: METRICS_TOKEN, ECN_LOG_LEVEL: "debug", ECN_ALLOWED_ORIGINS: "https://app.example" },
    });
    const key = stack.keys.acme!;
    const send = (given: RawRequest = {}) => raw(stack, key, given);

    // Served: a ping, the same at /mcp/ and with a gzip body, from an allowed origin; notifications only are 202.
    for (const given of [
      {},
      { path: "/mcp/" },
      { headers: { "content-encoding": "gzip" }, body: gzipSync(PING) },
      { headers: { origin: "https://app.example" } },
    ]) {
      const answer = await send(given);
      expect(answer.status).toBe(200);
      expect(answer.headers["cache-control"]).toBe("no-cache, no-transform");
      expect(events(answer)).toEqual([{ jsonrpc: "2.0", id: 7, result: {} }]);
    }
    const notified = await send({ body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) });
    expect(notified).toMatchObject({ status: 202, body: "" });

    // Refused before anything is read: the Host and the Origin.
    const host = await send({ headers: { host: "evil.example" } });
    expect(host.status).toBe(403);
    expect(rpcError(host)).toEqual({ code: -32000, message: match.stringMatching(/^forbidden_host: /) });
    const origin = await send({ headers: { origin: "https://evil.example" } });
    expect(origin.status).toBe(403);
    expect(rpcError(origin)).toEqual({ code: -32000, message: match.stringMatching(/^forbidden_origin: /) });

    // Who is calling: no key, a wrong key, the operator's token.
    const missing = await send({ headers: { authorization: undefined } });
    expect(missing.status).toBe(401);
    expect(missing.headers["www-authenticate"]).toMatch(
      /^Bearer resource_metadata="[^"]+\/\.well-known\/oauth-protected-resource\/mcp", scope="tools:free tools:paid"$/,
    );
    expect(rpcError(missing)).toEqual({ code: -32000, message: match.stringMatching(/^unauthorized: connect with OAuth/) });
    const wrong = await raw(stack, key.slice(0, -2) + "xx", {});
    expect(wrong.status).toBe(401);
    expect(wrong.headers["www-authenticate"]).toMatch(/error="invalid_token"/);
    expect(rpcError(wrong)).toEqual({ code: -32000, message: "unauthorized: the API key is wrong or revoked" });
    const operator = await raw(stack, ADMIN_TOKEN, {});
    expect(operator.status).toBe(403);
    expect(rpcError(operator)).toEqual({ code: -32000, message: match.stringMatching(/^forbidden: the operator token reads data/) });

    // What was sent: its media type, what it accepts, its protocol version, its charset and encoding, its size, its JSON.
    const media = await send({ headers: { "content-type": "text/plain" } });
    expect(media.status).toBe(415);
    expect(rpcError(media)).toEqual({ code: -32000, message: match.stringMatching(/^Unsupported Media Type/) });
    const accept = await send({ headers: { accept: "application/json" } });
    expect(accept.status).toBe(406);
    expect(rpcError(accept)).toEqual({ code: -32000, message: match.stringMatching(/^Not Acceptable/) });
    const version = await send({ headers: { "mcp-protocol-version": "1999-01-01" } });
    expect(version.status).toBe(400);
    expect(rpcError(version)).toEqual({ code: -32000, message: match.stringMatching(/^Bad Request: Unsupported protocol version: 1999-01-01/) });
    for (const headers of [{ "content-type": "application/json; charset=latin1" }, { "content-encoding": "snappy" }]) {
      const unsupported = await send({ headers });
      expect(unsupported.status).toBe(400);
      expect(rpcError(unsupported)).toEqual({ code: -32600, message: "invalid_input: unsupported body encoding" });
    }
    const big = await send({ body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping", params: { pad: "x".repeat(1_100_000) } }) });
    expect(big.status).toBe(413);
    expect(rpcError(big)).toEqual({ code: -32600, message: match.stringMatching(/^payload_too_large: /) });
    for (const body of ["{not json", '"a string"']) {
      const answer = await send({ body });
      expect(answer.status).toBe(400);
      expect(rpcError(answer)).toEqual({ code: -32700, message: "Parse error: the request body is not valid JSON" });
    }
    const shapeless = await send({ body: "{}" });
    expect(shapeless.status).toBe(400);
    expect(rpcError(shapeless)).toEqual({ code: -32700, message: "Parse error: Invalid JSON-RPC message" });
    const empty = await send({ body: "[]" });
    expect(empty.status).toBe(400);
    expect(rpcError(empty)).toEqual({ code: -32600, message: "Invalid Request: empty batch" });
    const batch = await send({ body: JSON.stringify(Array.from({ length: 101 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "ping" }))) });
    expect(batch.status).toBe(400);
    expect(rpcError(batch)).toEqual({ code: -32600, message: "Invalid Request: Batch must not exceed 100 messages" });

    // Other methods are not served, authenticated or not.
    const get = await raw(stack, key, { method: "GET", body: "" });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe("POST");

    // Counted: requests refused before the MCP route as "unmatched", the others by the route; refusals by their code.
    const metrics = await (await stack.get("/metrics", METRICS_TOKEN)).text();
    const count = (series: string) => Number(new RegExp(`^${series.replace(/[{}"/+]/g, "\\$&")} (\\d+)$`, "m").exec(metrics)?.[1] ?? 0);
    expect(count('ecn_http_request_duration_seconds_count{route="/mcp",status="200"}')).toBe(4);
    expect(count('ecn_http_request_duration_seconds_count{route="/mcp",status="202"}')).toBe(1);
    expect(count('ecn_http_request_duration_seconds_count{route="/mcp",status="400"}')).toBe(8);
    expect(count('ecn_http_request_duration_seconds_count{route="/mcp",status="413"}')).toBe(1);
    expect(count('ecn_http_request_duration_seconds_count{route="unmatched",status="401"}')).toBe(2);
    expect(count('ecn_http_request_duration_seconds_count{route="unmatched",status="403"}')).toBe(1);
    expect(count('ecn_refusals_total{code="unauthorized"}')).toBe(2);
    expect(count('ecn_refusals_total{code="forbidden"}')).toBe(1);
    expect(count('ecn_refusals_total{code="payload_too_large"}')).toBe(1);
    expect(count('ecn_refusals_total{code="invalid_input"}')).toBe(2);

    // Logged: one debug line per request, naming the key it came through.
    const [keyRecord] = await stack.ledger.listApiKeys();
    const lines = logLines(stack.stderr()).filter((line) => line.msg === "http" && line.path === "/mcp");
    expect(lines.filter((line) => line.status === 200)).toHaveLength(3);
    expect(lines.find((line) => line.status === 200)).toMatchObject({ level: "debug", method: "POST", api_key_id: keyRecord!.id });
    expect(lines.find((line) => line.status === 401)).not.toHaveProperty("api_key_id");
  });
});

describe("POST /mcp, many organisations at once", () => {
  it("charges each paid call in flight to its own organisation and key, and answers it alone", async () => {
    const stack = await startHttpStack({ orgs: { acme: "100", beta: "100" } });
    const [acmeKey, betaKey] = [stack.keys.acme!, stack.keys.beta!];
    const keyIds = Object.fromEntries((await stack.ledger.listApiKeys()).map((k) => [k.orgId, k.id]));
    // Interleaved, all in flight together, each with the same JSON-RPC id: only the key tells them apart.
    const calls = Array.from({ length: 24 }, (_, i) => {
      const key = i % 2 === 0 ? acmeKey : betaKey;
      const notes = `Call ${i}: a bakery in Portland with sourdough bread and a friendly, warm tone.`;
      const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "profile_draft", arguments: { ...PROFILE_ARGS, notes } } });
      return raw(stack, key, { body }).then((answer) => ({ org: i % 2 === 0 ? "acme" : "beta", answer }));
    });
    const answers = await Promise.all(calls);
    const charged: Record<string, number> = { acme: 0, beta: 0 };
    for (const { org, answer } of answers) {
      expect(answer.status).toBe(200);
      const [message] = events(answer) as {
        id: number;
        result: { isError?: boolean; structuredContent: { metering: { tool_call_id: string; credits_charged: number } } };
      }[];
      expect(message!.id).toBe(1);
      expect(message!.result.isError).toBeFalsy();
      const { tool_call_id: id, credits_charged: credits } = message!.result.structuredContent.metering;
      const [row] = await sqlRows(stack.ledger, `SELECT org_id, api_key_id FROM tool_calls WHERE id = '${id}'`);
      expect(row).toEqual({ org_id: stack.orgIds[org], api_key_id: keyIds[stack.orgIds[org]!] });
      charged[org]! += credits;
    }
    for (const org of ["acme", "beta"]) {
      const wallet = (await (await stack.get("/api/v1/credits/wallet/", stack.keys[org])).json()) as { balance_credits: number };
      expect(wallet.balance_credits).toBeCloseTo(100 - charged[org]!, 6);
    }
    await assertInvariants(stack.ledger);
  });
});

describe("POST /mcp, what a paid call logs", () => {
  it("names the API key a call came through on each line the call writes, whichever part of the server writes it", async () => {
    const stack = await startHttpStack({ orgs: { acme: "100", beta: "100" } });
    await stack.cli("budget", "set", "--org", "acme", "--period", "day", "--credits", "0.000001", "--soft");
    const keyIds = Object.fromEntries((await stack.ledger.listApiKeys()).map((k) => [k.orgId, k.id]));
    const call = (key: string) =>
      raw(stack, key, { body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "profile_draft", arguments: PROFILE_ARGS } }) });

    // acme's call crosses its soft budget (the metering core warns) while beta's call fails at the provider (the server warns).
    const failure = { fail: { status: 500, message: "upstream exploded" } };
    stack.providers.sim.behave({}, failure, failure);
    const crossing = await call(stack.keys.acme!);
    expect(crossing.status).toBe(200);
    const failed = await call(stack.keys.beta!);
    expect(failed.status).toBe(200);
    expect(JSON.stringify(events(failed))).toMatch(/provider_error/);

    const lines = logLines(stack.stderr());
    const budget = lines.find((line) => line.level === "warn" && /budget/.test(line.msg));
    expect(budget).toMatchObject({ org: stack.orgIds.acme, api_key_id: keyIds[stack.orgIds.acme!] });
    const provider = lines.find((line) => line.level === "warn" && line.provider_said === "upstream exploded");
    expect(provider).toMatchObject({ msg: "tool call failed: provider error", api_key_id: keyIds[stack.orgIds.beta!] });
    expect(provider).not.toHaveProperty("connection_id");
  });
});
