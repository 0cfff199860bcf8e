// @ts-check
/**
 * Start-up: how long a user waits for `ecn-mcp --help`, for a CLI verb
 * (`wallet`), and for the stdio server to answer an MCP client's
 * `initialize` (a client starts it at every launch) and to the `tools/list`
 * the client sends next, each against a bare `node -e 0` on the same machine
 * in the same rounds, as ratios.
 * Targets: --help and wallet within 2x bare node, initialize within 3x (the
 * tools' listing has none: it is shown for what a client waits on next).
 */
import { spawn } from "node:child_process";
import { benchEnv, cli, CLI, freshDb } from "../lib/stack.mjs";
import { ms, now, percentile, table } from "../lib/stats.mjs";

/**
 * Milliseconds from spawn to exit; a failed run is an error, not a fast sample.
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<number>}
 */
function timedRun(args, env) {
  return new Promise((resolve, reject) => {
    const started = now();
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve(now() - started) : reject(new Error(`node ${args.join(" ")} exited ${code}: ${stderr}`))));
  });
}

const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench-startup", version: "1.0.0" } },
});

const INITIALIZED = JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" });
const TOOLS_LIST = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" });

/**
 * Milliseconds from spawn to the stdio server's answer to request `id`: `initialize` (1), sent at once as a client
 * does, or the `tools/list` (2) a client sends right after it; then the server is closed.
 * @param {NodeJS.ProcessEnv} env
 * @param {1 | 2} id
 * @returns {Promise<number>}
 */
function timedAnswer(env, id) {
  return new Promise((resolve, reject) => {
    const started = now();
    const child = spawn(process.execPath, [CLI, "stdio"], { env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    /** @type {number | null} */
    let answeredAt = null;
    child.stderr.on("data", (chunk) => (err += chunk));
    child.stdout.on("data", (chunk) => {
      out += chunk;
      if (answeredAt === null && out.includes(`"id":${id}`)) {
        answeredAt = now() - started;
        if (!out.includes('"result"')) reject(new Error(`request ${id} failed: ${out}`));
        child.stdin.end(); // a client going away: the server closes its ledger and exits
      }
    });
    child.once("error", reject);
    child.once("exit", (code) => (answeredAt === null ? reject(new Error(`stdio server exited ${code} before answering: ${err}`)) : resolve(answeredAt)));
    child.stdin.write([INITIALIZE, ...(id === 2 ? [INITIALIZED, TOOLS_LIST] : [])].join("\n") + "\n");
  });
}

/**
 * @param {import("../lib/stack.mjs").Sims} sims
 * @param {{ samples: number }} options
 */
export async function startupSection(sims, { samples }) {
  const env = benchEnv(sims, freshDb());
  cli(env, "org", "create", "bench");
  /** @type {Record<string, () => Promise<number>>} */
  const variants = {
    "bare node (node -e 0)": () => timedRun(["-e", "0"], env),
    "ecn-mcp --help": () => timedRun([CLI, "--help"], env),
    "ecn-mcp wallet --org bench": () => timedRun([CLI, "wallet", "--org", "bench"], env),
    "stdio server answers initialize": () => timedAnswer(env, 1),
    "stdio server lists its tools": () => timedAnswer(env, 2),
  };
  const names = Object.keys(variants);
  /** @type {Record<string, number[]>} */
  const times = Object.fromEntries(names.map((n) => [n, []]));
  // One unmeasured round warms the file cache; then every round runs each variant once, so machine noise hits all alike.
  for (const name of names) await variants[name]?.();
  for (let round = 0; round < samples; round++) {
    // Rotate the order, so no variant always runs right after the same other one.
    for (let i = 0; i < names.length; i++) {
      const name = /** @type {string} */ (names[(i + round) % names.length]);
      times[name]?.push(await /** @type {() => Promise<number>} */ (variants[name])());
    }
  }
  const bare = percentile(times[/** @type {string} */ (names[0])] ?? [], 50);
  /** @type {Record<string, number>} */
  const targets = { "ecn-mcp --help": 2, "ecn-mcp wallet --org bench": 2, "stdio server answers initialize": 3 };
  const results = Object.fromEntries(
    names.map((name) => {
      const samplesOf = times[name] ?? [];
      const p50 = percentile(samplesOf, 50);
      return [name, { p50, p90: percentile(samplesOf, 90), ratio: p50 / bare, target: targets[name] ?? null }];
    }),
  );
  table(
    `Start-up over ${samples} interleaved rounds (median; targets: --help and a verb within 2x bare node, initialize within 3x)`,
    ["what", "p50", "p90", "x bare node", "target"],
    names.map((name) => {
      const r = /** @type {{ p50: number, p90: number, ratio: number, target: number | null }} */ (results[name]);
      return [name, ms(r.p50), ms(r.p90), `${r.ratio.toFixed(2)}x`, r.target === null ? "" : `<= ${r.target}x ${r.ratio <= r.target ? "ok" : "MISSED"}`];
    }),
  );
  return { samples, results };
}
