// @ts-check
/**
 * `npm run bench`: what metering adds, measured in one run against the floor.
 *
 *  1. latency, interleaved so machine noise hits every variant alike:
 *     a bare MCP SDK echo server (no metering), a direct HTTP request to the
 *     simulator endpoint the paid tool uses, and the metered profile_draft;
 *  2. throughput at 1, 16 and 64 calls in flight over one stdio connection,
 *     and over HTTP with several clients;
 *  3. the ledger alone: hold+dispatch+settle cycles against raw better-sqlite3
 *     doing the same commits with the same pragmas;
 *  4. cost growth: wallet read, paid call, get_usage and check-margins at
 *     0, 100k and 1M usage events; server RSS after 10k paid calls;
 *  5. scaling out: HTTP against stdio, the PostgreSQL store with one, two and
 *     three HTTP instances on one database, its latency and wallet reads at 1M
 *     events, and the CPU model for 10,000 paid calls/s checked against them;
 *  6. the dashboard over 1M events: its data answers, time to the first chart
 *     in headless Chromium, bytes shipped;
 *  7. start-up: --help, a CLI verb and the stdio server's answer to
 *     `initialize`, as ratios to a bare `node` start;
 *  8. money coming in: Stripe webhook receipt to spendable credits, and what
 *     alerts and auto-recharge add to a paid call;
 *  9. side by side with a stateless gateway (Portkey) in front of the same
 *     simulator: time added over a direct request, calls/s, CPU and memory;
 * 10. cache propagation: a revoke or a price change reaching all of three
 *     HTTP instances on one PostgreSQL database.
 *
 * Results print as tables and go to bench/results/latest.json, with issue
 * 24's goals as ratios with PASS or MISS (lib/goals.mjs).
 * BENCH_QUICK=1 shrinks every section (a smoke run).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startApifySimulator } from "#dist/simulator/apify.js";
import { startOpenRouterSimulator } from "#dist/simulator/openrouter.js";
import { startSocrataSimulator } from "#dist/simulator/socrata.js";
import { dashboardSection } from "./sections/dashboard.mjs";
import { gatewaySection } from "./sections/gateway.mjs";
import { ledgerSection } from "./sections/ledger.mjs";
import { paymentsSection } from "./sections/payments.mjs";
import { propagationSection } from "./sections/propagation.mjs";
import { growthSection } from "./sections/growth.mjs";
import { latencySection } from "./sections/latency.mjs";
import { scaleoutSection } from "./sections/scaleout.mjs";
import { startupSection } from "./sections/startup.mjs";
import { throughputSection } from "./sections/throughput.mjs";
import { issueGoals, printGoals } from "./lib/goals.mjs";
import { ROOT } from "./lib/stack.mjs";

const quick = process.env.BENCH_QUICK === "1";
const only = process.env.BENCH_ONLY?.split(",");
/** @param {string} name */
const want = (name) => !only || only.includes(name);

const sims = {
  openrouter: await startOpenRouterSimulator(),
  apify: await startApifySimulator(),
  socrata: await startSocrataSimulator(),
};
sims.openrouter.defaults.costUsd = 0.0001; // a cheap completion: the wallet never runs dry

console.log(`ecn-mcp benchmark — node ${process.version}, ${quick ? "quick" : "full"} run, providers simulated on loopback with no latency`);
const runDate = new Date().toISOString();
/** @type {Record<string, unknown>} */
const results = { date: runDate, node: process.version, quick };
try {
  if (want("latency")) results.latency = await latencySection(sims, { rounds: quick ? 150 : 1500 });
  if (want("gateway")) {
    results.gateway = await gatewaySection(sims, {
      rounds: quick ? 150 : 1500,
      calls: quick ? 300 : 3000,
      throughputRounds: quick ? 1 : 3,
      maxMs: (quick ? 5 : 30) * 60_000,
    });
  }
  if (want("throughput")) results.throughput = await throughputSection(sims, { calls: quick ? 300 : 3000 });
  if (want("ledger")) results.ledger = await ledgerSection({ ops: quick ? 500 : 5000 });
  if (want("growth")) results.growth = await growthSection(sims, { sizes: quick ? [0, 20_000] : [0, 100_000, 1_000_000], samples: quick ? 50 : 300 });
  if (want("scaleout")) {
    results.scaleout = await scaleoutSection(sims, {
      calls: quick ? 300 : 3000,
      rounds: quick ? 1 : 3,
      samples: quick ? 50 : 300,
      seeded: quick ? 20_000 : 1_000_000,
    });
  }
  if (want("propagation")) results.propagation = await propagationSection(sims, { repetitions: quick ? 2 : 10 });
  if (want("payments")) results.payments = await paymentsSection(sims, { purchases: quick ? 30 : 300, rounds: quick ? 100 : 1000 });
  if (want("dashboard"))
    results.dashboard = await dashboardSection(sims, { events: quick ? 20_000 : 1_000_000, samples: quick ? 10 : 50, loads: quick ? 2 : 7 });
  if (want("startup")) results.startup = await startupSection(sims, { samples: quick ? 5 : 20 });
} finally {
  await Promise.all(Object.values(sims).map((sim) => sim.close()));
}
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
const latest = join(ROOT, "bench/results/latest.json");
// A run of some sections (BENCH_ONLY) replaces those sections and keeps the others' last figures, dated.
/** @type {Record<string, any> & { sectionDates?: Record<string, string> }} */
const kept = only && existsSync(latest) ? JSON.parse(readFileSync(latest, "utf8")) : {};
/** @type {Record<string, string>} */
const sectionDates = {
  ...kept.sectionDates,
  ...Object.fromEntries(
    Object.keys(results)
      .filter((k) => !["date", "node", "quick", "goals"].includes(k))
      .map((k) => [k, runDate]),
  ),
};
/** @type {Record<string, any>} */
const merged = { ...kept, ...results, sectionDates };
merged.goals = issueGoals(merged, sectionDates, runDate);
printGoals(merged.goals, quick);
writeFileSync(latest, JSON.stringify(merged, null, 2) + "\n");
console.log("\nwritten to bench/results/latest.json");
