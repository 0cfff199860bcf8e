/**
 * The SQLite store's file, damaged or missing (this file runs in the sqlite
 * project only; the PostgreSQL store's outages are tested in
 * postgres-outage.test.ts). A ledger that cannot be used is reported, never
 * papered over: /healthz
 * answers 503 with the reason, a paid call is refused with
 * `ledger_unavailable` before any provider request, an empty ledger file is
 * refused instead of silently becoming a fresh ledger, and start-up failures
 * are one line with the documented exit code.
 */
import { spawn, spawnSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openSqliteLedger } from "../../src/ledger/index.js";
import { match } from "../helpers/matchers.js";
import { initializeLine, spawnRawServer } from "../helpers/raw-stdio.js";
import { CLI, cliRunner, countRows, PROFILE_ARGS, startProviders } from "../helpers/stack.js";
import { startHttpStack } from "../helpers/http-stack.js";
import { tempDir } from "../helpers/temp-ledger.js";

const PAGE = 4096;

function runCli(env: Record<string, string>, ...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, input: "" });
}

/** One line on stderr, no stack trace. */
function oneLine(stderr: Buffer): string {
  const text = stderr.toString().trim();
  expect(text.split("\n")).toHaveLength(1);
  expect(text).not.toMatch(/\n\s+at /);
  return text;
}

describe("an empty or unusable ledger file", () => {
  it("refuses a zero-length ledger file, naming it, and leaves it as it is", () => {
    const path = join(tempDir(), "ecn.db");
    writeFileSync(path, "");
    for (const args of [["wallet", "--org", "local"], ["stdio"], ["migrate"]]) {
      const run = runCli({ ECN_DB_PATH: path }, ...args);
      expect(run.status, args.join(" ")).toBe(4);
      expect(oneLine(run.stderr)).toMatch(new RegExp(`^error: ledger_unavailable: .*the ledger file ${path.replace(/[/.]/g, "\\$&")} is empty \\(0 bytes\\)`));
      expect(run.stdout.toString()).toBe("");
    }
    expect(statSync(path).size).toBe(0);
  });

  it("answers an MCP client's initialize (sent before the ledger is opened), then stops the same way", async () => {
    const path = join(tempDir(), "ecn.db");
    writeFileSync(path, "");
    const raw = spawnRawServer({ PATH: process.env.PATH ?? "", ECN_DB_PATH: path });
    raw.send(initializeLine(1));
    expect(await raw.exited).toBe(4);
    expect(raw.messages).toEqual([{ jsonrpc: "2.0", id: 1, result: match.objectContaining({ protocolVersion: "2025-06-18" }) }]);
    expect(oneLine(Buffer.from(raw.stderr()))).toMatch(/^error: ledger_unavailable: .*is empty \(0 bytes\)/);
  });

  it("says in one line that the ledger path cannot be opened", () => {
    const dir = join(tempDir(), "ecn.db");
    mkdirSync(dir);
    const run = runCli({ ECN_DB_PATH: dir }, "org", "list");
    expect(run.status).toBe(4);
    expect(oneLine(run.stderr)).toMatch(/^error: ledger_unavailable: the ledger cannot be used: cannot open the ledger .*ecn\.db/);
  });

  it("creates a new ledger whole: it is never left empty", () => {
    const path = join(tempDir(), "fresh", "ecn.db");
    expect(runCli({ ECN_DB_PATH: path }, "org", "create", "acme").status).toBe(0);
    expect(statSync(path).size).toBeGreaterThan(0);
    expect(runCli({ ECN_DB_PATH: path }, "org", "list").stdout.toString()).toContain("acme");
  });
});

describe("GET /healthz reports the ledger's real state", () => {
  it("answers 503 when the ledger file's pages are damaged under a running server", async () => {
    const stack = await startHttpStack();
    // Zero pages of the file behind the server's back (its connection keeps serving them from cache).
    const fd = openSync(stack.providers.dbPath, "r+");
    for (let page = 1; page < 6; page++) writeSync(fd, Buffer.alloc(PAGE), 0, PAGE, page * PAGE);
    closeSync(fd);
    const response = await stack.get("/healthz");
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: "unavailable", ledger: match.stringMatching(/corrupt/) });
  });

  it("answers 503 and refuses paid calls with ledger_unavailable when the ledger cannot be written", async () => {
    const providers = await startProviders();
    const cli = cliRunner(providers.env);
    await cli("org", "create", "acme");
    await cli("credits", "grant", "--org", "acme", "--credits", "10");
    const key = (JSON.parse((await cli("key", "create", "--org", "acme", "--json")).stdout) as { key: string }).key;
    // Keeps the ledger's shared-memory file in place, as a running fleet would.
    const holder = openSqliteLedger(providers.dbPath);
    // The server may not grow any file past 1 KiB: every write to the ledger fails, as on a full disk.
    // (Ignored SIGXFSZ is inherited, so the write fails with EFBIG instead of killing the process.)
    const proc = spawn("/bin/sh", ["-c", `trap '' XFSZ; ulimit -f 1; exec "${process.execPath}" "${CLI}" http --port 0`], {
      env: providers.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        proc.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          const match = /listening on (http:\/\/[\d.:]+)/.exec(out);
          if (match) resolve(match[1]!);
        });
        proc.once("exit", (code) => reject(new Error(`server exited ${code}`)));
      });
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: "unavailable", ledger: "the disk reported an I/O error" });
      // The authorization server keeps its signing keys in the ledger: it waits for the ledger, and says so, instead of stopping the server.
      const metadata = await fetch(`${url}/.well-known/oauth-authorization-server`);
      expect(metadata.status).toBe(503);
      expect(await metadata.json()).toMatchObject({ error: { code: "ledger_unavailable" } });
      const response = await fetch(`${url}/mcp`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "profile_draft", arguments: PROFILE_ARGS } }),
      });
      expect(await response.text()).toContain(
        "ledger_unavailable: the ledger cannot be used: the disk reported an I/O error. Nothing was charged or sent to a provider",
      );
      expect(providers.sim.paidRequests()).toHaveLength(0);
      expect(await countRows({ ledger: holder }, "tool_calls")).toBe(0n);
    } finally {
      proc.kill("SIGKILL");
      await holder.close();
      await providers.close();
    }
  });
});
