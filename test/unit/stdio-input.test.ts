/**
 * StdioInput, the line reader in front of the SDK's stdio transport: good
 * messages pass as the same bytes, bad ones are reported (never dropped
 * silently), and a line over the limit is scanned for its request id without
 * being held, however the bytes are cut into chunks.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { StdioInput, type InputProblem } from "../../src/server/stdio-input.js";

const LIMIT = 1_000;

/** Feeds `text` in the given chunk sizes; returns what was forwarded and what was reported. */
async function read(text: string, cuts: number[] = []): Promise<{ forwarded: string; problems: InputProblem[] }> {
  const problems: InputProblem[] = [];
  const input = new StdioInput((problem) => problems.push(problem), LIMIT);
  const chunks: Buffer[] = [];
  input.messages.on("data", (chunk: Buffer) => chunks.push(chunk));
  const bytes = Buffer.from(text);
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    const end = Math.min(bytes.length, at + Math.max(1, cut));
    input.push(bytes.subarray(at, end));
    at = end;
    if (at >= bytes.length) break;
  }
  if (at < bytes.length) input.push(bytes.subarray(at));
  input.end();
  await new Promise((resolve) => input.messages.once("end", resolve));
  return { forwarded: Buffer.concat(chunks).toString(), problems };
}

const request = (id: unknown, padding: number, idFirst = false) => {
  const params = { name: "profile_draft", arguments: { notes: "x".repeat(padding), id: "not-this-one", nested: { id: 99 } } };
  return JSON.stringify(idFirst ? { jsonrpc: "2.0", id, method: "tools/call", params } : { method: "tools/call", params, jsonrpc: "2.0", id });
};

describe("StdioInput", () => {
  it("forwards well-formed messages as the same bytes, one per line, and skips blank lines", async () => {
    const messages = [request(1, 10), JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }), request("a", 20)];
    const { forwarded, problems } = await read(`${messages[0]}\r\n\n${messages[1]}\n  \n${messages[2]}\n`);
    expect(forwarded).toBe(`${messages[0]}\r\n${messages[1]}\n${messages[2]}\n`);
    expect(problems).toEqual([]);
  });

  it("reports a line that is not JSON, and JSON that is not JSON-RPC with its id", async () => {
    const { forwarded, problems } = await read(`{"jsonrpc":"2.0","id":1,\n{"id":5,"hello":true}\n[1,2]\n${request(2, 5)}\n`);
    expect(problems).toMatchObject([{ kind: "not_json" }, { kind: "not_jsonrpc", id: 5 }, { kind: "not_jsonrpc", id: null }]);
    expect(forwarded).toBe(`${request(2, 5)}\n`);
  });

  it.each([
    ["an id after the params (as the SDK's client writes it)", false],
    ["an id before the params", true],
  ])("finds the top-level id of an oversized request with %s, not an id inside it", async (_name, idFirst) => {
    const { forwarded, problems } = await read(`${request(7, LIMIT * 3, idFirst)}\n${request(8, 10)}\n`);
    expect(problems).toEqual([{ kind: "oversized", bytes: request(7, LIMIT * 3).length, id: 7, request: true }]);
    expect(forwarded).toBe(`${request(8, 10)}\n`); // reading goes on
  });

  it("knows when an oversized message can be answered by no one: no method, no id, or not an object", async () => {
    const notification = JSON.stringify({ jsonrpc: "2.0", method: "notifications/message", params: { data: "y".repeat(LIMIT * 2) } });
    const response = JSON.stringify({ jsonrpc: "2.0", id: 3, result: { data: "z".repeat(LIMIT * 2) } });
    const { problems } = await read(`${notification}\n${response}\n${"q".repeat(LIMIT * 2)}\n`);
    expect(problems.map((p) => (p.kind === "oversized" ? [p.id, p.request] : p.kind))).toEqual([
      [null, false],
      [3, false],
      [null, false],
    ]);
  });

  it("gives the same verdicts however the stream is cut into chunks", async () => {
    const text = `${request("r-1", LIMIT * 2)}\n{bad json\n${request(4, 10, true)}\n${request(5, LIMIT, true)}\n`;
    const whole = await read(text);
    expect(whole.problems.map((p) => p.kind)).toEqual(["oversized", "not_json", "oversized"]);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 40 }), async (cuts) => {
        expect(await read(text, cuts)).toEqual(whole);
      }),
      { numRuns: 60 },
    );
  });
});
