/**
 * The MCP SDK still behaves the way src/server/sdk-internals.ts relies on:
 * one test per dependency, numbered as there, each against the real SDK
 * Server on a wire that records what it sends. After an SDK upgrade, a
 * failure here names exactly what changed; fix sdk-internals.ts (and only
 * it), then update the versions its opening comment was checked against.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CallToolRequestSchema,
  ErrorCode,
  GetTaskRequestSchema,
  LATEST_PROTOCOL_VERSION,
  ListToolsRequestSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it, vi } from "vitest";
import { match } from "../helpers/matchers.js";
import { answerInvalidParams, isMessageIgnored, isValidationError, ProtocolError, RawArguments, requestHandlers } from "../../src/server/sdk-internals.js";
import { INSTRUCTIONS, PROTOCOL_VERSIONS, SERVER_INFO, serverCapabilities } from "../../src/server/server-info.js";

/** A transport that records what the server sends, and hands it messages as a client would. */
class Wire implements Transport {
  onmessage?: Transport["onmessage"];
  onclose?: () => void;
  onerror?: (error: Error) => void;
  readonly sent: { message: JSONRPCMessage; options?: TransportSendOptions }[] = [];
  async start(): Promise<void> {}
  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    this.sent.push({ message, ...(options ? { options } : {}) });
  }
  async close(): Promise<void> {
    this.onclose?.();
  }
  receive(message: JSONRPCMessage, extra?: MessageExtraInfo): void {
    this.onmessage?.(message, extra);
  }
  /** The response to request `id`, once the server has sent it. */
  async answer(id: RequestId): Promise<Record<string, unknown>> {
    return vi.waitFor(() => {
      const found = this.sent.find(({ message }) => "id" in message && message.id === id && !("method" in message));
      if (!found) throw new Error(`no answer to ${id} yet`);
      return found.message;
    });
  }
}

const request = (id: number, method: string, params?: Record<string, unknown>): JSONRPCMessage => ({
  jsonrpc: "2.0",
  id,
  method,
  ...(params ? { params } : {}),
});

function newServer(): Server {
  return new Server({ name: "contract", version: "0" }, { capabilities: { tools: {}, logging: {} } });
}

describe("the MCP SDK, as sdk-internals.ts relies on it", () => {
  it("1. answers a thrown error with a numeric code with that code and its message as it is", async () => {
    const server = newServer();
    server.setRequestHandler(ListToolsRequestSchema, () => {
      throw new ProtocolError(ErrorCode.InvalidParams, "invalid cursor: plain words");
    });
    const wire = new Wire();
    await server.connect(wire);
    wire.receive(request(1, "tools/list"));
    expect((await wire.answer(1)).error).toEqual({ code: ErrorCode.InvalidParams, message: "invalid cursor: plain words" });
    server.setRequestHandler(ListToolsRequestSchema, () => {
      throw new ProtocolError(-32000, "budget_exceeded: plain words", { code: "budget_exceeded" });
    });
    wire.receive(request(2, "tools/list"));
    expect((await wire.answer(2)).error).toEqual({ code: -32000, message: "budget_exceeded: plain words", data: { code: "budget_exceeded" } });
  });

  it("2. keeps its request handlers in _requestHandlers, a Map of method -> handler that validates the params itself", async () => {
    const server = newServer();
    const handler = vi.fn(async () => ({ content: [] }));
    server.setRequestHandler(CallToolRequestSchema, handler);
    const handlers = requestHandlers(server);
    expect(handlers).toBeInstanceOf(Map);
    expect(typeof handlers.get("tools/call")).toBe("function");
    const entry = handlers.get("tools/call")!;
    // It throws as it validates (synchronously, in 1.32): answerInvalidParams awaits it inside its own async function either way.
    await expect((async () => entry({ method: "tools/call", params: { name: 5 } }, {}))()).rejects.toSatisfy(isValidationError);
    expect(handler).not.toHaveBeenCalled();
  });

  it("3. throws zod core's $ZodError, with issues, for params that do not match: answered as -32602 once wrapped", async () => {
    const server = newServer();
    server.setRequestHandler(CallToolRequestSchema, async () => ({ content: [] }));
    const entry = requestHandlers(server).get("tools/call")!;
    const error = await (async () => entry({ method: "tools/call", params: { name: 5 } }, {}))().catch((e: unknown) => e);
    expect((error as Error).name).toBe("$ZodError");
    expect((error as { issues: { path: unknown[] }[] }).issues[0]!.path).toEqual(["params", "name"]);

    answerInvalidParams(server);
    const wire = new Wire();
    await server.connect(wire);
    wire.receive(request(7, "tools/call", { name: 5 }));
    expect((await wire.answer(7)).error).toMatchObject({
      code: ErrorCode.InvalidParams,
      message: match.stringMatching(/^Invalid params for tools\/call: params\.name: /),
    });
  });

  it("4. calls a transport's earlier onmessage first, with the message as parsed; its own parse drops a __proto__ argument", async () => {
    const server = newServer();
    const order: string[] = [];
    let seenByHandler: unknown;
    server.setRequestHandler(CallToolRequestSchema, async (req) => {
      order.push("handler");
      seenByHandler = req.params.arguments;
      return { content: [] };
    });
    const wire = new Wire();
    const raw = new RawArguments();
    wire.onmessage = () => order.push("earlier");
    raw.watch(wire);
    await server.connect(wire);
    const message = JSON.parse(
      '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"t","arguments":{"__proto__":{"x":1},"a":1}}}',
    ) as JSONRPCMessage;
    wire.receive(message);
    await wire.answer(3);
    expect(order).toEqual(["earlier", "handler"]);
    expect(Object.keys(raw.take(3) as object)).toEqual(["__proto__", "a"]);
    // Why the watcher exists: were this ever to keep "__proto__", RawArguments could go.
    expect(Object.keys(seenByHandler as object)).toEqual(["a"]);
  });

  it("5. has isMessageIgnored(level, sessionId), which honours the client's logging/setLevel", async () => {
    const server = newServer();
    const wire = new Wire();
    await server.connect(wire);
    expect(isMessageIgnored(server, "info", undefined)).toBe(false);
    wire.receive(request(1, "logging/setLevel", { level: "error" }));
    await wire.answer(1);
    expect(isMessageIgnored(server, "info", undefined)).toBe(true);
    expect(isMessageIgnored(server, "error", undefined)).toBe(false);
  });

  it("6. sends a handler's notifications with relatedRequestId, its response with the id once the handler returned, passes the transport's extra, and aborts handlers in flight on close", async () => {
    const server = newServer();
    let extraSeen: { authInfo?: unknown; requestInfo?: unknown } = {};
    let signal: AbortSignal | undefined;
    let answeredSignal: AbortSignal | undefined;
    let release: () => void = () => undefined;
    server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
      extraSeen = { authInfo: extra.authInfo, requestInfo: extra.requestInfo };
      await extra.sendNotification({ method: "notifications/message", params: { level: "info", data: "working" } });
      if (req.params.name === "wait") {
        signal = extra.signal;
        await new Promise<void>((resolve) => (release = resolve));
      } else answeredSignal = extra.signal;
      return { content: [] };
    });
    const wire = new Wire();
    await server.connect(wire);
    const authInfo = { token: "t", clientId: "c", scopes: [], extra: { org: "o" } };
    wire.receive(request(1, "tools/call", { name: "now" }), { authInfo, requestInfo: { headers: { host: "h" } } });
    await wire.answer(1);
    expect(
      wire.sent.map(({ message, options }) =>
        "method" in message ? `${message.method} for ${String(options?.relatedRequestId)}` : `answer ${String((message as { id: RequestId }).id)}`,
      ),
    ).toEqual(["notifications/message for 1", "answer 1"]);
    expect(extraSeen).toEqual({ authInfo, requestInfo: { headers: { host: "h" } } });

    wire.receive(request(2, "tools/call", { name: "wait" }));
    await vi.waitFor(() => expect(signal).toBeDefined());
    expect(signal!.aborted).toBe(false);
    await wire.close();
    expect(signal!.aborted).toBe(true);
    // An answered request's handler had returned: closing aborts nothing of it, so an exchange answered in full need not be closed.
    expect(answeredSignal!.aborted).toBe(false);
    release();
  });

  it("8. without a TaskStore, leaves tasks/* to our handlers, sends our answer to a task-augmented tools/call, and a handler's notifications after its answer", async () => {
    const server = new Server(
      { name: "contract", version: "0" },
      { capabilities: { tools: {}, logging: {}, tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } } },
    );
    expect(requestHandlers(server).has("tasks/get")).toBe(false);
    const task = {
      taskId: "task_1",
      status: "working",
      createdAt: "2026-01-01T00:00:00.000Z",
      lastUpdatedAt: "2026-01-01T00:00:00.000Z",
      ttl: 1000,
      pollInterval: 5000,
    };
    let later: () => Promise<void> = async () => undefined;
    server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
      later = () => extra.sendNotification({ method: "notifications/progress", params: { progressToken: "p", progress: 1 } });
      return req.params.task ? { task } : { content: [] };
    });
    server.setRequestHandler(GetTaskRequestSchema, async (req) => ({ ...task, taskId: req.params.taskId }));
    const wire = new Wire();
    await server.connect(wire);
    wire.receive(request(1, "tools/call", { name: "t", task: { ttl: 1000 }, _meta: { progressToken: "p" } }));
    expect((await wire.answer(1)).result).toEqual({ task });
    await later();
    expect(wire.sent.at(-1)).toMatchObject({ message: { method: "notifications/progress" }, options: { relatedRequestId: 1 } });
    wire.receive(request(2, "tasks/get", { taskId: "task_9" }));
    expect((await wire.answer(2)).result).toEqual({ ...task, taskId: "task_9" });
  });

  it("9. answers initialize with the version asked for when it supports it, else its latest, and its info, capabilities and instructions as given", async () => {
    expect(PROTOCOL_VERSIONS).toEqual(SUPPORTED_PROTOCOL_VERSIONS);
    expect(PROTOCOL_VERSIONS[0]).toBe(LATEST_PROTOCOL_VERSION);
    const server = new Server(SERVER_INFO, { capabilities: serverCapabilities(true), instructions: INSTRUCTIONS });
    const wire = new Wire();
    await server.connect(wire);
    const asks = [...SUPPORTED_PROTOCOL_VERSIONS, "2099-01-01"];
    asks.forEach((version, i) =>
      wire.receive(request(i, "initialize", { protocolVersion: version, capabilities: {}, clientInfo: { name: "c", version: "1" } })),
    );
    for (const [i, version] of asks.entries()) {
      expect(await wire.answer(i)).toEqual({
        jsonrpc: "2.0",
        id: i,
        result: {
          protocolVersion: SUPPORTED_PROTOCOL_VERSIONS.includes(version) ? version : LATEST_PROTOCOL_VERSION,
          capabilities: serverCapabilities(true),
          serverInfo: SERVER_INFO,
          instructions: INSTRUCTIONS,
        },
      });
    }
  });
});
