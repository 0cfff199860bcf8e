/**
 * OpenTelemetry traces: the built server in HTTP mode, with
 * OTEL_EXPORTER_OTLP_ENDPOINT pointing at an OTLP/HTTP receiver on loopback
 * (the JSON protocol, decoded here), makes one paid call whose request
 * carries a W3C `traceparent` in `params._meta`. The call's spans continue
 * the caller's trace: the MCP request span (MCP conventions, with the
 * charge), and under it the ledger transactions and the LLM request (GenAI
 * conventions). Spans still buffered at SIGTERM are sent before exit. A call
 * through an OAuth connection names the connection, on its span and on the
 * log lines written while it was served, as a call through a key names the key.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { startHttpStack } from "../helpers/http-stack.js";
import { logLines } from "../helpers/logs.js";
import { callTool, connect } from "../helpers/oauth-browserless.js";
import { PROFILE_ARGS } from "../helpers/stack.js";
import { sqlRows } from "../helpers/store.js";

type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: AnyValue }[];
  status?: { code?: number };
}
interface ExportRequest {
  resourceSpans: { resource?: { attributes?: { key: string; value: AnyValue }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

const SERVER = 2;
const CLIENT = 3;

/** Ids are hex in OTLP/JSON; tolerate base64 (the protobuf JSON mapping) too. */
const hex = (id: string | undefined) => (id === undefined || /^[0-9a-f]*$/.test(id) ? id : Buffer.from(id, "base64").toString("hex"));

function attributesOf(list: { key: string; value: AnyValue }[] = []): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list) {
    out[key] = value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : (value.doubleValue ?? value.boolValue ?? ""));
  }
  return out;
}

/** An OTLP/HTTP receiver on loopback: every export request it was sent, decoded. */
async function otlpReceiver(): Promise<{ url: string; requests: ExportRequest[]; contentTypes: string[]; server: Server }> {
  const requests: ExportRequest[] = [];
  const contentTypes: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      contentTypes.push(req.headers["content-type"] ?? "");
      if (req.url === "/v1/traces") requests.push(JSON.parse(body) as ExportRequest);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, contentTypes, server };
}

const receivers: Server[] = [];
afterEach(() => {
  while (receivers.length) receivers.pop()!.close();
});

describe("OpenTelemetry traces", () => {
  it("traces a paid call under the caller's traceparent: the MCP span with the charge, the ledger transactions and the GenAI request", async () => {
    const receiver = await otlpReceiver();
    receivers.push(receiver.server);
    const stack = await startHttpStack({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" } });
    const key = stack.keys.acme!;
    const client = new Client({ name: "tracing-e2e", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${stack.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
    const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
    const callerSpan = "00f067aa0ba902b7";
    const result = (await client.callTool({
      name: "profile_draft",
      arguments: { business_name: "Acme", notes: "A bakery in Portland with sourdough bread and a friendly, warm tone." },
      _meta: { traceparent: `00-${callerTrace}-${callerSpan}-01`, tracestate: "rojo=00f067aa0ba902b7" },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    const metering = (result.structuredContent as { metering: { tool_call_id: string; cost_usd: number; credits_charged: number } }).metering;
    await client.close();
    // The batch is sent at shutdown: nothing is lost to a SIGTERM.
    stack.proc.kill("SIGTERM");
    expect(await stack.exited).toBe(0);

    expect(receiver.contentTypes.every((type) => type.startsWith("application/json"))).toBe(true);
    const resources = receiver.requests.flatMap((r) => r.resourceSpans);
    expect(attributesOf(resources[0]?.resource?.attributes)).toMatchObject({ "service.name": "ecn-mcp" });
    const spans = resources.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    const call = spans.find((span) => span.name === "tools/call profile_draft");
    expect(call, spans.map((s) => s.name).join(", ")).toBeDefined();

    // The caller's trace goes on: same trace id, the caller's span as parent.
    expect(hex(call!.traceId)).toBe(callerTrace);
    expect(hex(call!.parentSpanId)).toBe(callerSpan);
    expect(call!.kind).toBe(SERVER);
    const [keyRecord] = await stack.ledger.listApiKeys();
    expect(attributesOf(call!.attributes)).toMatchObject({
      "mcp.method.name": "tools/call",
      "gen_ai.tool.name": "profile_draft",
      "gen_ai.operation.name": "execute_tool",
      "network.transport": "tcp",
      "ecn.api_key_id": keyRecord!.id,
      // The charge: what the provider cost, what was charged, at which markup, to whom, for which call.
      "ecn.org_id": stack.orgIds.acme,
      "ecn.tool_call_id": metering.tool_call_id,
      "ecn.feature": "profile_draft",
      "ecn.provider": "openrouter",
      "ecn.outcome": "settled",
      "ecn.cost_usd": metering.cost_usd,
      "ecn.credits_charged": metering.credits_charged,
      "ecn.markup": "1.25",
    });
    expect(typeof attributesOf(call!.attributes)["jsonrpc.request.id"]).toBe("string");

    // Under it, in the same trace: the ledger transactions and the provider request.
    const inTrace = spans.filter((span) => hex(span.traceId) === callerTrace);
    const children = inTrace.filter((span) => span.parentSpanId === call!.spanId).map((span) => span.name);
    for (const name of ["ledger hold", "ledger dispatch", "ledger settle"]) expect(children).toContain(name);
    const [event] = await sqlRows(stack.ledger, "SELECT model, prompt_tokens, completion_tokens FROM usage_events");
    const chat = inTrace.find((span) => span.name.startsWith("chat "));
    expect(chat?.parentSpanId).toBe(call!.spanId);
    expect(chat!.kind).toBe(CLIENT);
    const chatAttributes = attributesOf(chat!.attributes);
    expect(chatAttributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openrouter",
      "gen_ai.response.model": event!.model,
      "gen_ai.usage.input_tokens": Number(event!.prompt_tokens),
      "gen_ai.usage.output_tokens": Number(event!.completion_tokens),
      "ecn.cost_usd": metering.cost_usd,
    });
    expect(chat!.name).toBe(`chat ${String(chatAttributes["gen_ai.request.model"])}`);
    expect(chatAttributes["gen_ai.request.max_tokens"]).toBeGreaterThan(0);
    // The answer arrived whole, its reference with it: the settle's commit stores it, not a commit of its own.
    expect(inTrace.map((span) => span.name)).not.toContain("ledger provider_ref");
    const [stored] = await sqlRows(stack.ledger, "SELECT provider_request_id AS ref FROM usage_events");
    expect(stored!.ref).toMatch(/^gen-/);
  });

  it("names the OAuth connection or API key a call came through, on its span (with the charge) and on its log lines", async () => {
    const receiver = await otlpReceiver();
    receivers.push(receiver.server);
    const stack = await startHttpStack({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" } });
    const { tokens } = await connect(stack.url, { apiKey: stack.keys.acme!, cap: "20" });
    const [connection] = await stack.ledger.listConnections(stack.orgIds.acme!, 0);
    const [keyRecord] = await stack.ledger.listApiKeys();

    const paid = await callTool(stack.url, tokens.access_token, "profile_draft", PROFILE_ARGS);
    expect(paid.isError, paid.text).toBe(false);
    const toolCallId = (JSON.parse(paid.text) as { metering: { tool_call_id: string } }).metering.tool_call_id;
    // The provider fails: its words go to the log only, under the reference the caller is shown, with who called.
    const failure = { fail: { status: 500, message: "upstream exploded" } };
    stack.providers.sim.behave(failure, failure);
    const failedByConnection = await callTool(stack.url, tokens.access_token, "profile_draft", PROFILE_ARGS);
    const failedByKey = await callTool(stack.url, stack.keys.acme!, "profile_draft", PROFILE_ARGS);
    stack.proc.kill("SIGTERM");
    expect(await stack.exited).toBe(0);

    const warningOf = (answer: { text: string }) => {
      const reference = /reference (perr_[0-9a-f]{8})/.exec(answer.text)?.[1];
      expect(reference, answer.text).toBeDefined();
      return logLines(stack.stderr()).find((line) => line.reference === reference);
    };
    expect(warningOf(failedByConnection)).toMatchObject({ level: "warn", connection_id: connection!.id, provider_said: "upstream exploded" });
    expect(warningOf(failedByConnection)).not.toHaveProperty("api_key_id");
    expect(warningOf(failedByKey)).toMatchObject({ level: "warn", api_key_id: keyRecord!.id, provider_said: "upstream exploded" });

    const spans = receiver.requests.flatMap((r) => r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((scope) => scope.spans)));
    const charged = spans.map((span) => attributesOf(span.attributes)).find((attributes) => attributes["ecn.tool_call_id"] === toolCallId);
    expect(charged).toMatchObject({ "ecn.connection_id": connection!.id, "ecn.org_id": stack.orgIds.acme, "ecn.outcome": "settled" });
    expect(charged).not.toHaveProperty("ecn.api_key_id");
  }, 120_000);

  it("serves calls and exits cleanly when the collector cannot be reached, saying so in the log", async () => {
    // A port that was free a moment ago: nothing listens there.
    const closed = await otlpReceiver();
    await new Promise((resolve) => closed.server.close(resolve));
    const stack = await startHttpStack({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: closed.url } });
    const client = new Client({ name: "tracing-e2e", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${stack.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${stack.keys.acme!}` } } }),
    );
    const wallet = (await client.callTool({ name: "get_wallet_balance", arguments: {} })) as CallToolResult;
    expect(wallet.isError).toBeFalsy();
    await client.close();
    stack.proc.kill("SIGTERM");
    expect(await stack.exited).toBe(0);
    expect(stack.stderr()).toMatch(/"level":"warn"[^\n]*OpenTelemetry collector/);
  }, 60_000);
});
