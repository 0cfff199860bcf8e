/**
 * What the stdio server does with input it cannot take, seen from a raw
 * client on its pipes: a line that is not JSON gets -32700 (id null), JSON
 * that is not JSON-RPC gets -32600, a request over 10 MiB gets -32600 with
 * its id and the server reads on; an oversized message that names no request
 * ends the server with exit code 1 and an error in its log, instead of
 * leaving it alive and deaf.
 */
import { describe, expect, it } from "vitest";
import { logLine } from "../helpers/logs.js";
import { rawServer } from "../helpers/raw-stdio.js";

const toolsList = (id: number) => JSON.stringify({ jsonrpc: "2.0", id, method: "tools/list" });
const ELEVEN_MIB = 11 * 1024 * 1024;

describe("stdio input the server cannot take", () => {
  it("answers a line that is not JSON with -32700 (id null), logs it, and reads on", async () => {
    const server = await rawServer();
    server.send('{"jsonrpc":"2.0","id":1,"method":"tools/list"');
    server.send(toolsList(2));
    expect(await server.answer(2)).toMatchObject({ result: { tools: expect.any(Array) as unknown } });
    expect(server.messages.find((m) => m.id === null)).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32700, message: "Parse error: the message is not valid JSON" },
    });
    expect(logLine(server.stderr(), "stdin: a message that is not JSON, answered -32700")).toMatchObject({ level: "warn" });
  });

  it("answers JSON that is not a JSON-RPC message with -32600 and its id", async () => {
    const server = await rawServer();
    server.send(JSON.stringify({ id: 3, method: "tools/list" })); // no "jsonrpc": "2.0"
    expect(await server.answer(3)).toEqual({ jsonrpc: "2.0", id: 3, error: { code: -32600, message: "Invalid Request: not a JSON-RPC 2.0 message" } });
    server.send(toolsList(4));
    expect(await server.answer(4)).toHaveProperty("result");
  });

  it("answers a request over 10 MiB with -32600 and its id, and reads on", async () => {
    const server = await rawServer();
    // The SDK's client writes the id last, after the params.
    const huge = JSON.stringify({
      method: "tools/call",
      params: { name: "profile_draft", arguments: { notes: "n".repeat(ELEVEN_MIB) } },
      jsonrpc: "2.0",
      id: 5,
    });
    server.send(huge);
    const answer = await server.answer(5);
    expect(answer).toEqual({
      jsonrpc: "2.0",
      id: 5,
      error: { code: -32600, message: `Invalid Request: the message is ${huge.length} bytes; this server reads messages of at most 10 MiB` },
    });
    server.send(toolsList(6));
    expect(await server.answer(6)).toHaveProperty("result");
    expect(logLine(server.stderr(), "stdin: a request over the 10 MiB message limit, answered -32600")).toMatchObject({
      level: "error",
      bytes: expect.any(Number) as unknown,
      id: 5,
    });
    expect(server.proc.exitCode).toBeNull();
  });

  it("stops with exit code 1 and an error in its log when an oversized message names no request to answer", async () => {
    const server = await rawServer();
    server.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "d".repeat(ELEVEN_MIB) } }));
    expect(await server.exited).toBe(1);
    expect(logLine(server.stderr(), /^stdin: a message over the 10 MiB limit that names no request to answer; stopping/)).toMatchObject({ level: "error" });
    expect(logLine(server.stderr(), "stdio server stopping")).toMatchObject({ level: "info", reason: "unreadable input" });
  });
});
