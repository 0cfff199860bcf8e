/**
 * The stdio server's start, seen from a raw client on its pipes. An MCP
 * client waits on the answer to `initialize` at every launch, so it is
 * answered before the server has loaded; that answer is the one the server
 * itself gives (it checks, and says so in its debug log), for every protocol
 * version, and it is sent once. An `initialize` the early path does not take
 * is answered by the server as ever, and what the client sent meanwhile, or
 * its going away, is read in order once the server is up.
 */
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { logLine } from "../helpers/logs.js";
import { match } from "../helpers/matchers.js";
import { initializeLine, spawnRawServer, type RawServer } from "../helpers/raw-stdio.js";
import { startProviders } from "../helpers/stack.js";

const EARLY = "answered before the server loaded, as the server answers";

async function server(): Promise<RawServer> {
  const providers = await startProviders();
  const raw = spawnRawServer({ ...providers.env, ECN_LOG_LEVEL: "debug" });
  void raw.exited.then(() => providers.close());
  return raw;
}

/** Lists the tools, then goes away; resolves once the server has exited, with its exit code. */
async function listThenLeave(raw: RawServer, id: number): Promise<number | null> {
  raw.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
  raw.send(JSON.stringify({ jsonrpc: "2.0", id, method: "tools/list" }));
  expect(await raw.answer(id)).toMatchObject({ result: { tools: match.any(Array) } });
  raw.proc.stdin.end();
  return raw.exited;
}

describe("the stdio server's answer to initialize", () => {
  it.each([
    ["2025-06-18", "2025-06-18"],
    ["2024-11-05", "2024-11-05"],
    ["a version it does not know", LATEST_PROTOCOL_VERSION],
  ])("asked for %s, answers %s, once, as the server itself answers it", async (asked, answered) => {
    const raw = await server();
    raw.send(initializeLine(1, { protocolVersion: asked }));
    expect(await listThenLeave(raw, 2)).toBe(0);
    expect(raw.messages.filter((m) => m.id === 1)).toEqual([
      {
        jsonrpc: "2.0",
        id: 1,
        result: {
          protocolVersion: answered,
          capabilities: { tools: {}, logging: {}, tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } },
          serverInfo: { name: "ecn-mcp", title: "ecn-mcp: metered lead-generation tools", version: match.any(String), icons: [match.any(Object)] },
          instructions: match.stringMatching(/^ecn-mcp tools cost credits/),
        },
      },
    ]);
    expect(logLine(raw.stderr(), EARLY)).toMatchObject({ level: "debug", id: 1 });
    expect(logLine(raw.stderr(), /differs from the server's own/)).toBeUndefined();
  });

  it("leaves an initialize with fields it does not check to the server, which answers it as ever", async () => {
    const raw = await server();
    raw.send(initializeLine(1, { _meta: { progressToken: "p" }, capabilities: { tasks: { list: {} } } }));
    expect(await listThenLeave(raw, 2)).toBe(0);
    expect(raw.messages.filter((m) => m.id === 1)).toEqual([
      { jsonrpc: "2.0", id: 1, result: match.objectContaining({ protocolVersion: "2025-06-18", serverInfo: match.any(Object) }) },
    ]);
    expect(logLine(raw.stderr(), EARLY)).toBeUndefined();
  });

  it("answers a bad initialize with the server's own -32602", async () => {
    const raw = await server();
    raw.send(JSON.stringify({ jsonrpc: "2.0", id: 7, method: "initialize", params: {} }));
    expect(await raw.answer(7)).toEqual({
      jsonrpc: "2.0",
      id: 7,
      error: { code: -32602, message: match.stringMatching(/^Invalid params for initialize: params\.protocolVersion: /) },
    });
    raw.proc.stdin.end();
    expect(await raw.exited).toBe(0);
  });

  it("stops cleanly when the client goes away before the server has loaded", async () => {
    const raw = await server();
    raw.send(initializeLine(1));
    raw.proc.stdin.end();
    expect(await raw.exited).toBe(0);
    expect(raw.messages.filter((m) => m.id === 1)).toHaveLength(1);
    expect(logLine(raw.stderr(), "stdio server stopping")).toMatchObject({ reason: "stdin closed" });
  });
});
