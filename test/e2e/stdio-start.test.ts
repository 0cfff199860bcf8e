/**
 * The stdio server's start, seen from a raw client on its pipes. An MCP
 * client waits on the answer to `initialize` at every launch, then lists the
 * tools, so both are answered before the server has loaded; those answers are
 * the ones the server itself gives (it checks, and says so in its debug log),
 * for every protocol version, each sent once, and the tools listed early are
 * the ones listed once the server is up. An `initialize` the early path does
 * not take is answered by the server as ever, and what the client sent
 * meanwhile, or its going away, is read in order once the server is up.
 */
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { logLine, logLines } from "../helpers/logs.js";
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

const INITIALIZED = JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" });
const toolsList = (id: number) => JSON.stringify({ jsonrpc: "2.0", id, method: "tools/list" });

/** Lists the tools, then goes away; resolves once the server has exited, with its exit code. */
async function listThenLeave(raw: RawServer, id: number): Promise<number | null> {
  raw.send(INITIALIZED);
  raw.send(toolsList(id));
  expect(await raw.answer(id)).toMatchObject({ result: { tools: match.any(Array) } });
  raw.proc.stdin.end();
  return raw.exited;
}

describe("the stdio server's first answers", () => {
  it.each([
    ["2025-06-18", "2025-06-18"],
    ["2024-11-05", "2024-11-05"],
    ["a version it does not know", LATEST_PROTOCOL_VERSION],
  ])("asked for %s, answers %s and the tools, once each, as the server itself answers them once loaded", async (asked, answered) => {
    const raw = await server();
    // As a client sends them, in one write, before the server can have loaded anything.
    raw.send([initializeLine(1, { protocolVersion: asked }), INITIALIZED, toolsList(2)].join("\n"));
    // A ping is answered by the loaded server only; the tools it lists then are the ones listed early.
    raw.send(JSON.stringify({ jsonrpc: "2.0", id: 3, method: "ping" }));
    await raw.answer(3);
    raw.send(toolsList(4));
    expect((await raw.answer(2)).result).toEqual((await raw.answer(4)).result);
    raw.proc.stdin.end();
    expect(await raw.exited).toBe(0);
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
    expect(raw.messages.filter((m) => m.id === 2)).toHaveLength(1);
    const early = logLines(raw.stderr()).filter((line) => line.msg === EARLY);
    expect(early).toEqual([match.objectContaining({ level: "debug", id: 1 }), match.objectContaining({ level: "debug", id: 2 })]);
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
