// @ts-check
/** Starting what the benchmark measures: the built server over stdio or HTTP, the echo floor, the simulators. */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

export const ROOT = resolve(import.meta.dirname, "../..");
export const CLI = join(ROOT, "dist/cli/main.js");

/**
 * The simulated providers a run starts once and every section shares.
 * @typedef {{
 *   openrouter: import("#dist/simulator/openrouter.js").OpenRouterSimulator;
 *   apify: import("#dist/simulator/apify.js").ApifySimulator;
 *   socrata: import("#dist/simulator/socrata.js").SocrataSimulator;
 * }} Sims
 */

/**
 * The environment of a server or CLI run against the simulators and a ledger.
 * @param {Sims} sims
 * @param {string} dbPath
 * @returns {Record<string, string>}
 */
export function benchEnv(sims, dbPath) {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    ECN_DB_PATH: dbPath,
    ECN_ORG: "bench",
    ECN_LOG_LEVEL: "warn",
    ECN_HTTP_RATE_LIMIT: "1000000",
    OPENROUTER_API_KEY: sims.openrouter.apiKey,
    OPENROUTER_BASE_URL: sims.openrouter.baseUrl,
    APIFY_API_TOKEN: sims.apify.token,
    APIFY_BASE_URL: sims.apify.baseUrl,
    ECN_SOCRATA_BASE_URL: sims.socrata.baseUrl,
  };
}

/** Ledger directories this run made, removed when it exits (a full run makes a dozen). */
const ledgerDirs = /** @type {string[]} */ ([]);
process.on("exit", () => {
  for (const dir of ledgerDirs) rmSync(dir, { recursive: true, force: true });
});

export function freshDb() {
  const dir = mkdtempSync(join(tmpdir(), "ecn-bench-"));
  ledgerDirs.push(dir);
  return join(dir, "bench.db");
}

/**
 * Runs the built CLI; its stdout.
 * @param {NodeJS.ProcessEnv} env
 * @param {...string} args
 * @returns {string}
 */
export function cli(env, ...args) {
  return execFileSync(process.execPath, [CLI, ...args], { env, encoding: "utf8" });
}

/**
 * An MCP client on a stdio server process; `pid` is the server's.
 * @param {string} command
 * @param {string[]} args
 * @param {Record<string, string>} env
 */
export async function stdioClient(command, args, env) {
  const transport = new StdioClientTransport({ command, args, env, stderr: "inherit" });
  const client = new Client({ name: "bench", version: "1.0.0" });
  await client.connect(transport);
  return { client, pid: () => transport.pid };
}

/**
 * `ecn-mcp http` on a free port; resolves with its URL and process. With `keepStderr`, its log is kept
 * (the last 64 KiB, read with stderr()) instead of shown.
 * @param {NodeJS.ProcessEnv} env
 * @param {{ keepStderr?: boolean }} [options]
 */
export async function httpServer(env, { keepStderr = false } = {}) {
  const proc = spawn(process.execPath, [CLI, "http", "--port", "0"], { env, stdio: ["ignore", "pipe", keepStderr ? "pipe" : "inherit"] });
  let log = "";
  proc.stderr?.on("data", (chunk) => (log = (log + String(chunk)).slice(-65_536)));
  const url = await new Promise(
    /** @param {(url: string) => void} resolveUrl @param {(error: Error) => void} reject */ (resolveUrl, reject) => {
      let out = "";
      /** @type {import("node:stream").Readable} */ (proc.stdout).on("data", (chunk) => {
        out += String(chunk);
        const match = /listening on (http:\/\/[\d.:]+)/.exec(out);
        if (match?.[1]) resolveUrl(match[1]);
      });
      proc.once("exit", (code) => reject(new Error(`http server exited ${code}`)));
    },
  );
  return { url, proc, stderr: () => log };
}

/**
 * Ends a server process and waits for it to exit.
 * @param {import("node:child_process").ChildProcess} proc
 */
export function stopProcess(proc) {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve(undefined);
    proc.once("exit", resolve);
    proc.kill("SIGTERM");
  });
}

/**
 * An MCP client on an HTTP server, with an API key.
 * @param {string} url
 * @param {string} key
 */
export async function httpClient(url, key) {
  const client = new Client({ name: "bench-http", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
  return client;
}

/**
 * Resident set size of a process in MiB (Linux).
 * @param {number} pid
 */
export function rssMiB(pid) {
  const status = execFileSync("cat", [`/proc/${pid}/status`], { encoding: "utf8" });
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
}
