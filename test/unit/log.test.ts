/**
 * The logger: JSON lines through pino when stderr is not a terminal, the same
 * lines as readable text on one, every string redacted (the message and every
 * field, however deep), levels below ECN_LOG_LEVEL dropped.
 */
import { describe, expect, it } from "vitest";
import { createLogger, withLogFields } from "../../src/log.js";
import { registerSecrets } from "../../src/redact.js";

function capture(options: Parameters<typeof createLogger>[1] & object = {}) {
  const lines: string[] = [];
  return { lines, logger: createLogger("info", { ...options, write: (line) => lines.push(line) }) };
}

describe("the logger", () => {
  it("writes one JSON object per line when stderr is not a terminal", () => {
    const { lines, logger } = capture({ terminal: false });
    logger.info("serving MCP over stdio", { org: "local", calls: 3, held: 12_000_000n, nested: { ok: true } });
    logger.warn("second\nline in one message");
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line.endsWith("\n") && !line.slice(0, -1).includes("\n")).toBe(true);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: "info", msg: "serving MCP over stdio", org: "local", calls: 3, held: "12000000", nested: { ok: true } });
    expect(entry.pid).toBe(process.pid);
    expect(new Date(entry.time as string).toISOString()).toBe(entry.time);
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: "warn", msg: "second\nline in one message" });
  });

  it("shows readable text on a terminal, or when asked", () => {
    const onTerminal = capture({ terminal: true });
    onTerminal.logger.warn("could not count a refused call", { org: "org_1", attempts: 2 });
    expect(onTerminal.lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z warn could not count a refused call org="org_1" attempts=2\n$/);
    const asked = capture({ terminal: false, format: "text" });
    asked.logger.info("ready");
    expect(asked.lines[0]).toMatch(/Z info ready\n$/);
    const json = capture({ terminal: true, format: "json" });
    json.logger.info("ready");
    expect(JSON.parse(json.lines[0]!)).toMatchObject({ msg: "ready" });
  });

  it("redacts the message and every string field, however deep", () => {
    registerSecrets("sk-or-v1-log-secret-000111");
    const { lines, logger } = capture({ terminal: false });
    logger.error("upstream said sk-or-v1-log-secret-000111", {
      error: "401 for key sk-or-v1-log-secret-000111",
      request: { headers: { authorization: "Bearer ecn_sk_abcdefgh12345678" }, tries: ["token=abcdef123456"] },
      cause: new Error("apify_api_abcdefgh1234 rejected"),
    });
    const text = lines.join("");
    expect(text).not.toContain("log-secret");
    expect(text).not.toContain("ecn_sk_abcdefgh");
    expect(text).not.toContain("abcdef123456");
    expect(text).not.toContain("apify_api_abcdefgh");
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: "upstream said [redacted]", cause: { message: "[redacted] rejected" } });
  });

  it("drops events below its level", () => {
    const { lines, logger } = capture({ terminal: false });
    logger.debug("noisy");
    logger.info("kept");
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(["kept"]);
  });

  it("adds the caller's context (the active trace) to every line", () => {
    const { lines, logger } = capture({ terminal: false, context: () => ({ trace_id: "4bf92f3577b34da6a3ce929d0e0e4736" }) });
    logger.info("traced");
    expect(JSON.parse(lines[0]!)).toMatchObject({ trace_id: "4bf92f3577b34da6a3ce929d0e0e4736", msg: "traced" });
  });

  it("adds what a request came through to every line logged while it is served, whichever logger writes it", async () => {
    const { lines, logger } = capture({ terminal: false });
    await withLogFields({ connection_id: "con_1" }, async () => {
      await Promise.resolve();
      logger.warn("inside");
    });
    logger.info("outside");
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ msg: "inside", connection_id: "con_1" }),
      expect.not.objectContaining({ connection_id: expect.anything() as unknown }),
    ]);
  });

  it("keeps the fields for what was waiting for a run to end, and for runs that follow one another", async () => {
    const { lines, logger } = capture({ terminal: false });
    let finish!: () => void;
    let ended!: Promise<void>;
    // As a task is started: the request is over at once, its run goes on; whoever started the run logs its end.
    await withLogFields({ api_key_id: "key_1" }, async () => {
      const run = withLogFields({ api_key_id: "key_1" }, () => new Promise<void>((resolve) => (finish = resolve)));
      ended = run.then(() => logger.warn("run ended"));
    });
    finish();
    await ended;
    await new Promise((resolve) => setImmediate(resolve));
    await withLogFields({ connection_id: "con_2" }, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      logger.warn("next run");
    });
    logger.info("between runs");
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ msg: "run ended", api_key_id: "key_1" }),
      expect.objectContaining({ msg: "next run", connection_id: "con_2" }),
      expect.not.objectContaining({ connection_id: expect.anything() as unknown }),
    ]);
  });
});
