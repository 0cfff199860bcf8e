// @ts-check
/**
 * Side by side with a stateless gateway: what the metered paid call adds over
 * a direct request to the provider, against what Portkey's open-source
 * gateway adds in front of the SAME simulator (or a plain forwarding proxy
 * when Portkey cannot run; the output says why). Each is compared with its own
 * direct request: ours streams as the paid tool does, Portkey's does not
 * (its streaming path fails on Node 20). Then paid calls/s at 64 in flight,
 * each server's CPU per call, and its RSS after the same number of calls.
 */
import { drive, fundedKey, PROFILE, sdkPaidCall, timeInterleaved } from "../lib/load.mjs";
import { startGateway } from "../lib/gateway.mjs";
import { keepAlive, leanClient } from "../lib/lean-http.mjs";
import { cpuSeconds } from "../lib/proc.mjs";
import { benchEnv, CLI, freshDb, httpServer, rssMiB, stdioClient } from "../lib/stack.mjs";
import { ms, summary, table } from "../lib/stats.mjs";

/** @param {number[]} values */
const median = (values) => /** @type {number} */ ([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]);

/** The completion the paid tool asks for, as a direct request would send it. @param {boolean} stream */
const completion = (stream) =>
  JSON.stringify({
    model: "openai/gpt-4o-mini",
    max_tokens: 1200,
    stream,
    messages: [
      { role: "system", content: "You are a senior brand strategist." },
      { role: "user", content: PROFILE.notes },
    ],
  });

/**
 * @param {() => Promise<boolean>} call
 * @param {string} what
 */
const checked = (call, what) => async () => {
  if (!(await call())) throw new Error(`${what} failed: a failed call is not a fast sample`);
};

/**
 * @param {import("../lib/stack.mjs").Sims} sims
 * @param {{ rounds: number; calls: number; throughputRounds: number; maxMs: number }} options
 */
export async function gatewaySection(sims, { rounds, calls, throughputRounds, maxMs }) {
  const stdioEnv = benchEnv(sims, freshDb());
  fundedKey(stdioEnv);
  const httpEnv = benchEnv(sims, freshDb());
  const key = fundedKey(httpEnv);
  const stdio = await stdioClient(process.execPath, [CLI], stdioEnv);
  const ecnHttp = await httpServer(httpEnv);
  const http = leanClient(ecnHttp.url, key);
  const gateway = await startGateway(sims.openrouter, { maxMs });
  const direct = keepAlive(new URL(sims.openrouter.baseUrl).origin);
  const path = `${new URL(sims.openrouter.baseUrl).pathname}/chat/completions`;
  /** @param {string} body */
  const straight = async (body) => {
    const headers = { authorization: `Bearer ${sims.openrouter.apiKey}`, "content-type": "application/json", "content-length": Buffer.byteLength(body) };
    const answer = await direct.request("POST", path, headers, body);
    return answer.status === 200;
  };
  const [streamed, plain] = [completion(true), completion(false)];
  try {
    if (gateway.fallbackReason) console.log(`\n${gateway.fallbackReason}`);
    // 1. Time added over the direct request, one call at a time, all five interleaved.
    const variants = {
      directStreamed: checked(() => straight(streamed), "direct streamed request"),
      directPlain: checked(() => straight(plain), "direct request"),
      stdio: checked(sdkPaidCall(stdio.client), "paid call over stdio"),
      http: checked(http.paid, "paid call over HTTP"),
      gateway: checked(() => gateway.complete(plain), gateway.name),
    };
    const samples = await timeInterleaved(variants, rounds, Math.min(100, Math.floor(rounds / 5)));
    const s = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, summary(values)]));
    const [dStream, dPlain] = [
      /** @type {import("../lib/stats.mjs").Summary} */ (s.directStreamed),
      /** @type {import("../lib/stats.mjs").Summary} */ (s.directPlain),
    ];
    /** @type {(name: string, floor: import("../lib/stats.mjs").Summary) => { p50: number; p99: number }} */
    const added = (name, floor) => ({ p50: (s[name]?.p50 ?? NaN) - floor.p50, p99: (s[name]?.p99 ?? NaN) - floor.p99 });
    const addedMs = { stdio: added("stdio", dStream), http: added("http", dStream), gateway: added("gateway", dPlain) };

    // 2. Calls/s at 64 in flight, CPU per call of the server process, rounds interleaved.
    const setups = {
      stdio: { call: sdkPaidCall(stdio.client), pid: /** @type {number} */ (stdio.pid()) },
      http: { call: http.paid, pid: /** @type {number} */ (ecnHttp.proc.pid) },
      gateway: { call: () => gateway.complete(plain), pid: gateway.pid },
    };
    /** @type {Record<string, { perSecond: number; cpuMsPerCall: number; failures: number }[]>} */
    const runs = { stdio: [], http: [], gateway: [] };
    for (let round = 0; round < throughputRounds; round++) {
      for (const [name, setup] of Object.entries(setups)) {
        const before = cpuSeconds(setup.pid);
        const run = await drive([setup.call], calls, 64);
        runs[name]?.push({ perSecond: run.perSecond, cpuMsPerCall: ((cpuSeconds(setup.pid) - before) * 1000) / calls, failures: run.failures });
      }
    }
    const served = rounds + Math.min(100, Math.floor(rounds / 5)) + throughputRounds * calls;
    /** @param {"stdio" | "http" | "gateway"} name */
    const figuresOf = (name) => {
      const of = runs[name] ?? [];
      return {
        addedMs: addedMs[name],
        perSecond: median(of.map((r) => r.perSecond)),
        cpuMsPerCall: median(of.map((r) => r.cpuMsPerCall)),
        failures: of.reduce((sum, r) => sum + r.failures, 0),
        rssMiB: rssMiB(setups[name].pid),
      };
    };
    const [a, b, g] = [figuresOf("stdio"), figuresOf("http"), figuresOf("gateway")];
    /** @type {(x: number, y: number) => string} */
    const ratio = (x, y) => `${(x / y).toFixed(2)}x`;
    /** @type {(label: string, pick: (f: typeof a) => number, show: (v: number) => string) => unknown[]} */
    const row = (label, pick, show) => [label, show(pick(a)), show(pick(b)), show(pick(g)), ratio(pick(a), pick(g)), ratio(pick(b), pick(g))];
    table(
      `Side by side with ${gateway.name}, same simulator (added = p50/p99 minus the direct request's; ${rounds} interleaved rounds; calls/s at 64 in flight, median of ${throughputRounds} rounds of ${calls})`,
      ["measure", "ecn-mcp stdio", "ecn-mcp HTTP", gateway.name, "stdio / gateway", "HTTP / gateway"],
      [
        row("added time p50 (target: ours <= gateway's)", (f) => f.addedMs.p50, ms),
        row("added time p99 (target: ours <= gateway's)", (f) => f.addedMs.p99, ms),
        row(
          "calls/s at 64 in flight",
          (f) => f.perSecond,
          (v) => v.toFixed(0),
        ),
        row(
          "server CPU per call",
          (f) => f.cpuMsPerCall,
          (v) => `${v.toFixed(2)} ms`,
        ),
        row(
          `server RSS after ${served.toLocaleString("en")} calls`,
          (f) => f.rssMiB,
          (v) => `${v.toFixed(0)} MiB`,
        ),
      ],
    );
    table(
      "Direct requests to the simulator (the floors subtracted above)",
      ["request", "p50", "p99"],
      [
        ["streamed, as the paid tool asks (floor of ecn-mcp)", ms(dStream.p50), ms(dStream.p99)],
        ["not streamed (floor of the gateway)", ms(dPlain.p50), ms(dPlain.p99)],
      ],
    );
    const failures = a.failures + b.failures + g.failures;
    if (failures) console.log(`  ${failures} calls failed under load (stdio ${a.failures}, HTTP ${b.failures}, gateway ${g.failures})`);
    return { name: gateway.name, fallbackReason: gateway.fallbackReason, callsServedEach: served, latency: s, stdio: a, http: b, gateway: g };
  } finally {
    direct.close();
    http.close();
    await gateway.close();
    await stdio.client.close();
    if (ecnHttp.proc.exitCode === null) {
      await new Promise((resolve) => {
        ecnHttp.proc.once("exit", resolve);
        ecnHttp.proc.kill("SIGTERM");
      });
    }
  }
}
