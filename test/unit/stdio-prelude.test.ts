/**
 * Which `initialize` the stdio server answers before the MCP SDK has loaded
 * (src/server/stdio-prelude.ts): only one the SDK would accept, so an early
 * answer is never one the SDK would have refused; and the ones common
 * clients send, so the early answer is what they get.
 */
import { InitializeRequestSchema, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { plainInitialize, plainToolsList } from "../../src/server/stdio-prelude.js";

const message = (params: unknown, extra: Record<string, unknown> = {}): unknown => ({ jsonrpc: "2.0", id: 1, method: "initialize", params, ...extra });

/** Values a field may hold: right, wrong and odd. */
const anyValue = fc.oneof(
  fc.constant({}),
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string(),
  fc.constant([]),
  fc.constant({ listChanged: true }),
  fc.constant({ listChanged: "yes" }),
  fc.constant({ context: {}, tools: {} }),
  fc.constant({ context: 1 }),
  fc.constant({ form: {}, url: {} }),
  fc.constant({ form: { applyDefaults: 1 } }),
  fc.constant({ form: { applyDefaults: true } }),
  fc.constant({ form: { other: 1 } }),
  fc.constant({ vendor: {} }),
  fc.constant({ vendor: 1 }),
  fc.constant({ requests: { sampling: { createMessage: {} } } }),
);
/** Mostly `right`, sometimes anything: most messages are near a valid one, so both answers are tried. */
const mostly = <T>(right: fc.Arbitrary<T>) => fc.oneof({ arbitrary: right, weight: 6 }, { arbitrary: anyValue, weight: 1 });
/** An object with some of these keys, each with its own value. */
const someOf = (fields: Record<string, fc.Arbitrary<unknown>>) => fc.record(fields, { requiredKeys: [] });
/** `base`, now and then with one of these fields too. */
const withRarely = (base: fc.Arbitrary<Record<string, unknown>>, fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc
    .tuple(base, fc.oneof({ arbitrary: fc.constant({}), weight: 4 }, { arbitrary: someOf(fields), weight: 1 }))
    .map(([object, more]) => ({ ...object, ...more }));
const capabilities = mostly(
  withRarely(
    someOf({
      roots: mostly(fc.constantFrom({}, { listChanged: true }, { listChanged: false })),
      sampling: mostly(fc.constantFrom({}, { context: {} }, { tools: {} })),
      elicitation: mostly(fc.constantFrom({}, { form: {} }, { url: {} }, { form: { applyDefaults: false } })),
      experimental: mostly(fc.constantFrom({}, { vendor: {} })),
    }),
    { tasks: anyValue, extensions: anyValue },
  ),
);
const text = fc.string({ maxLength: 8 });
const clientInfo = mostly(
  withRarely(
    fc.record(
      { name: mostly(text), version: mostly(text), title: mostly(text), websiteUrl: mostly(text), description: mostly(text) },
      { requiredKeys: ["name", "version"] },
    ),
    { icons: anyValue },
  ),
);
const params = mostly(
  withRarely(fc.record({ protocolVersion: mostly(fc.constantFrom("2025-06-18", "2024-11-05", "1999-01-01")), capabilities, clientInfo }), {
    _meta: fc.constantFrom({ progressToken: 1 }, 1),
    extra: anyValue,
  }),
);
const envelope = withRarely(
  fc.record({ jsonrpc: mostly(fc.constant("2.0")), id: mostly(fc.oneof(fc.integer(), fc.string())), method: mostly(fc.constant("initialize")), params }),
  { extra: fc.string() },
);

describe("the initialize answered before the SDK loads", () => {
  it("is one the SDK accepts, whatever the client sent", () => {
    let accepted = 0;
    fc.assert(
      fc.property(envelope, (sent) => {
        // As it comes over the wire (JSON has no undefined).
        const parsed = JSON.parse(JSON.stringify(sent)) as unknown;
        if (plainInitialize(parsed) === null) return;
        accepted++;
        expect(JSONRPCMessageSchema.safeParse(parsed).success).toBe(true);
        expect(InitializeRequestSchema.safeParse(parsed).success).toBe(true);
      }),
      { numRuns: 5000 },
    );
    // About one message in twenty is near enough a valid one to be answered early: the property was tried on those.
    expect(accepted).toBeGreaterThan(0);
  });

  it("is what common clients send: the MCP SDK's client, with roots, sampling, elicitation or experimental capabilities", () => {
    const clientInfo = { name: "claude-ai", version: "0.1.0" };
    for (const capabilities of [
      {},
      { roots: { listChanged: true }, sampling: {} },
      { elicitation: {} },
      { elicitation: { form: { applyDefaults: true }, url: {} } },
      { experimental: { vendor: { on: true } } },
    ]) {
      expect(plainInitialize(message({ protocolVersion: "2025-06-18", capabilities, clientInfo }))).toEqual({ id: 1, protocolVersion: "2025-06-18" });
    }
    expect(plainInitialize(message({ protocolVersion: "2024-11-05", capabilities: {}, clientInfo: { ...clientInfo, title: "Claude" } }, { id: "a" }))).toEqual({
      id: "a",
      protocolVersion: "2024-11-05",
    });
  });

  it("is not one with anything the prelude does not check as the SDK would: left to the SDK", () => {
    const base = { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "c", version: "1" } };
    for (const sent of [
      message({ ...base, _meta: { progressToken: 1 } }),
      message({ ...base, capabilities: { tasks: {} } }),
      message({ ...base, clientInfo: { name: "c", version: "1", icons: [] } }),
      message({ ...base, protocolVersion: undefined }),
      message(base, { id: 1.5 }),
      message(base, { extra: 1 }),
      { ...(message(base) as object), jsonrpc: "1.0" },
      { jsonrpc: "2.0", id: 1, method: "ping" },
      undefined,
    ]) {
      expect(plainInitialize(sent), JSON.stringify(sent)).toBeNull();
    }
  });
});

describe("the tools/list answered before the SDK loads", () => {
  it("is one asking for the whole list and nothing else", () => {
    expect(plainToolsList({ jsonrpc: "2.0", id: 2, method: "tools/list" })).toBe(2);
    expect(plainToolsList({ jsonrpc: "2.0", id: "b", method: "tools/list", params: {} })).toBe("b");
    for (const sent of [
      { jsonrpc: "2.0", id: 2, method: "tools/list", params: { cursor: "x" } },
      { jsonrpc: "2.0", id: 2, method: "tools/list", params: { _meta: { progressToken: 1 } } },
      { jsonrpc: "2.0", id: 2.5, method: "tools/list" },
      { jsonrpc: "2.0", method: "tools/list" },
      { jsonrpc: "2.0", id: 2, method: "tools/call", params: {} },
    ]) {
      expect(plainToolsList(sent), JSON.stringify(sent)).toBeNull();
    }
  });
});
