/**
 * The protocol corners, exactly, with the SDK's real client over stdio and
 * raw requests over HTTP: error codes and messages a JSON-RPC client can act
 * on, logging/setLevel honoured, the Origin guard, and OAuth discovery
 * answered the same way under every name a client probes.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { CallToolResultSchema, ListToolsResultSchema, LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { startHttpStack } from "../helpers/http-stack.js";
import { match } from "../helpers/matchers.js";
import { rejectionOf } from "../helpers/rejection.js";
import { PROFILE_ARGS, startStack, type Stack } from "../helpers/stack.js";

const rejection = (promise: Promise<unknown>) => rejectionOf(promise, McpError);

/** Log messages the server sends during one paid call that crosses a soft budget (a warning). */
async function warningsDuringSoftCrossing(stack: Stack): Promise<string[]> {
  await stack.cli("budget", "set", "--org", "e2e", "--period", "day", "--credits", "0.5", "--soft");
  const messages: string[] = [];
  stack.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void messages.push(`${n.params.level}: ${String(n.params.data)}`));
  const result = await stack.call("profile_draft", PROFILE_ARGS);
  expect(result.isError).toBeFalsy();
  return messages;
}

/** The same three protocol errors, whichever transport the client speaks. */
async function assertProtocolErrors(client: Client): Promise<void> {
  const unknown = await rejection(client.callTool({ name: "no_such_tool", arguments: {} }));
  expect(unknown.code).toBe(-32602);
  expect(unknown.message).toBe("MCP error -32602: unknown tool: no_such_tool (tools/list names every tool)");
  const invalid = await rejection(client.request({ method: "tools/call", params: { name: 42, arguments: {} } }, CallToolResultSchema));
  expect(invalid.code).toBe(-32602);
  expect(invalid.message).toMatch(/^MCP error -32602: Invalid params for tools\/call: params\.name: /);
  expect(invalid.message).not.toMatch(/"code":|\[\s*\{/); // no raw validation dump
  const cursor = await rejection(client.request({ method: "tools/list", params: { cursor: "bogus" } }, ListToolsResultSchema));
  expect(cursor.code).toBe(-32602);
  expect(cursor.message).toMatch(/invalid cursor/);
  expect((await client.listTools()).tools.length).toBeGreaterThan(10);
}

describe("JSON-RPC errors", () => {
  it("over stdio: an unknown tool, invalid params and a tools/list cursor are -32602 with one readable message", async () => {
    const stack = await startStack();
    await assertProtocolErrors(stack.client);
  });

  it("over HTTP: the same", async () => {
    const stack = await startHttpStack();
    const client = new Client({ name: "protocol-http", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${stack.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${stack.keys.acme}` } } }),
    );
    try {
      await assertProtocolErrors(client);
    } finally {
      await client.close();
    }
  });
});

describe("logging/setLevel over stdio", () => {
  it("at the default level, a soft budget crossing is sent as a warning", async () => {
    const stack = await startStack({ credits: "10" });
    expect(await warningsDuringSoftCrossing(stack)).toEqual([expect.stringMatching(/^warning: .*soft/i)]);
  });

  it("at level error, the same warning is not sent", async () => {
    const stack = await startStack({ credits: "10" });
    await stack.client.setLoggingLevel("error");
    expect(await warningsDuringSoftCrossing(stack)).toEqual([]);
  });
});

describe("HTTP", () => {
  const mcpPost = (url: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${url}/mcp`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers }, body });

  it("malformed JSON on POST /mcp is a JSON-RPC parse error", async () => {
    const stack = await startHttpStack();
    const response = await mcpPost(stack.url, '{"jsonrpc": "2.0", "method": ', { authorization: `Bearer ${stack.keys.acme}` });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ jsonrpc: "2.0", error: { code: -32700, message: match.stringMatching(/^Parse error/) }, id: null });
  });

  it("bad initialize params are -32602 with a readable message", async () => {
    const stack = await startHttpStack();
    const response = await mcpPost(stack.url, JSON.stringify({ jsonrpc: "2.0", id: 7, method: "initialize", params: {} }), {
      authorization: `Bearer ${stack.keys.acme}`,
    });
    const text = await response.text();
    const message = JSON.parse(
      text
        .split("\n")
        .find((line) => line.startsWith("data: "))!
        .slice(6),
    ) as { id: number; error: { code: number; message: string } };
    expect(message).toMatchObject({
      id: 7,
      error: { code: -32602, message: match.stringMatching(/^Invalid params for initialize: params\.protocolVersion: /) },
    });
  });

  it("refuses a browser page from a foreign origin (403), serves an allowed one and clients that send no Origin", async () => {
    const stack = await startHttpStack({ env: { ECN_ALLOWED_ORIGINS: "https://app.example.com" } });
    const ping = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" });
    const auth = { authorization: `Bearer ${stack.keys.acme}` };
    const foreign = await mcpPost(stack.url, ping, { ...auth, origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { error: { message: string } }).error.message).toMatch(/^forbidden_origin: /);
    expect((await mcpPost(stack.url, ping, { ...auth, origin: "https://app.example.com" })).status).toBe(200);
    expect((await mcpPost(stack.url, ping, auth)).status).toBe(200);
  });

  it("answers OAuth discovery the same way under every name a client probes, and a keyless /mcp with a 401 naming the metadata", async () => {
    const stack = await startHttpStack();
    const resource = `${stack.url}/mcp`;
    for (const path of ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"]) {
      const response = await fetch(stack.url + path);
      expect(response.status, path).toBe(200);
      expect(await response.json(), path).toMatchObject({ resource, authorization_servers: [stack.url], scopes_supported: ["tools:free", "tools:paid"] });
    }
    expect((await fetch(`${stack.url}/.well-known/oauth-protected-resource/elsewhere`)).status).toBe(404);
    for (const path of [
      "/.well-known/oauth-authorization-server",
      "/.well-known/oauth-authorization-server/mcp",
      "/.well-known/openid-configuration",
      "/.well-known/openid-configuration/mcp",
      "/mcp/.well-known/openid-configuration",
    ]) {
      const response = await fetch(stack.url + path);
      expect(response.status, path).toBe(200);
      expect(await response.json(), path).toMatchObject({
        issuer: stack.url,
        authorization_endpoint: `${stack.url}/oauth/authorize`,
        token_endpoint: `${stack.url}/oauth/token`,
        registration_endpoint: `${stack.url}/oauth/register`,
        revocation_endpoint: `${stack.url}/oauth/revoke`,
        code_challenge_methods_supported: ["S256"],
        client_id_metadata_document_supported: true,
      });
    }
    const keyless = await mcpPost(stack.url, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }));
    expect(keyless.status).toBe(401);
    expect(keyless.headers.get("www-authenticate")).toBe(
      `Bearer resource_metadata="${stack.url}/.well-known/oauth-protected-resource/mcp", scope="tools:free tools:paid"`,
    );
    expect(((await keyless.json()) as { error: { message: string } }).error.message).toMatch(/connect with OAuth.*Authorization: Bearer <key>/);
  });

  it("answers a failure before MCP on /mcp as a JSON-RPC error with the same status and headers; REST routes keep their REST bodies", async () => {
    const stack = await startHttpStack({
      env: { ECN_ALLOWED_ORIGINS: "https://app.example.com", ECN_HTTP_RATE_LIMIT: "3", ECN_HTTP_BODY_LIMIT_BYTES: "2048" },
    });
    const ping = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" });
    const auth = { authorization: `Bearer ${stack.keys.acme}` };
    const jsonRpcError = (code: number, ours: string) => ({
      jsonrpc: "2.0",
      error: { code, message: match.stringMatching(new RegExp(`^${ours}: `)) },
      id: null,
    });

    const keyless = await mcpPost(stack.url, ping);
    // The challenge an OAuth client starts from: where this resource's metadata is (RFC 9728), and the scopes it takes.
    expect([keyless.status, keyless.headers.get("www-authenticate")]).toEqual([
      401,
      `Bearer resource_metadata="${stack.url}/.well-known/oauth-protected-resource/mcp", scope="tools:free tools:paid"`,
    ]);
    expect(await keyless.json()).toEqual(jsonRpcError(-32000, "unauthorized"));
    const wrongKey = await mcpPost(stack.url, ping, { authorization: "Bearer ecn_sk_not-a-key-at-all" });
    expect([wrongKey.status, await wrongKey.json()]).toEqual([401, jsonRpcError(-32000, "unauthorized")]);
    const foreign = await mcpPost(stack.url, ping, { ...auth, origin: "https://evil.example" });
    expect([foreign.status, await foreign.json()]).toEqual([403, jsonRpcError(-32000, "forbidden_origin")]);
    const big = await mcpPost(stack.url, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping", params: { pad: "x".repeat(4096) } }), auth);
    expect([big.status, await big.json()]).toEqual([413, jsonRpcError(-32600, "payload_too_large")]);
    const get = await fetch(`${stack.url}/mcp`, { headers: auth });
    expect([get.status, get.headers.get("allow"), await get.json()]).toEqual([405, "POST", jsonRpcError(-32000, "method_not_allowed")]);
    // Three requests a minute with this key (the body too large and the GET were two): the next is refused, saying when to retry.
    expect((await mcpPost(stack.url, ping, auth)).status).toBe(200);
    const limited = await mcpPost(stack.url, ping, auth);
    expect([limited.status, Number(limited.headers.get("retry-after")) > 0, await limited.json()]).toEqual([429, true, jsonRpcError(-32000, "rate_limited")]);

    const rest = await fetch(`${stack.url}/api/v1/credits/wallet/`);
    expect([rest.status, rest.headers.get("www-authenticate"), await rest.json()]).toEqual([
      401,
      'Bearer realm="ecn-mcp"',
      { error: { code: "unauthorized", message: match.stringMatching(/^send an API key/) } },
    ]);
    const restLimited = await stack.get("/api/v1/credits/wallet/", stack.keys.acme);
    expect([restLimited.status, ((await restLimited.json()) as { error: { code: string } }).error.code]).toEqual([429, "rate_limited"]);
  });
});
