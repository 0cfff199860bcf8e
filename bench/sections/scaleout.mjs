// @ts-check
/**
 * Scaling out: the hosted path (HTTP) against stdio on the SQLite store, and
 * the PostgreSQL store: one and two HTTP instances on one database, paid-call
 * latency over HTTP on both stores, wallet reads at 0 and 1M usage events.
 *
 * HTTP is driven by a lean load generator (node:http with keep-alive, raw
 * JSON-RPC POSTs, 64 in flight per instance): on this 2-core machine the
 * generator shares the CPU with the servers, and the MCP SDK's HTTP client
 * costs twice the CPU of its stdio client, which would measure the client,
 * not the server. Each server's CPU time per paid call is reported too.
 */
import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import { openPostgresLedger } from "#dist/ledger/index.js";
import { startEmbeddedPostgres } from "../../test/helpers/embedded-postgres.mjs";
import { seedEventsPostgres } from "../lib/seed.mjs";
import { drive, fundedKey, PROFILE, sdkPaidCall, timeInterleaved } from "../lib/load.mjs";
import { benchEnv, CLI, freshDb, httpServer, stdioClient } from "../lib/stack.mjs";
import { ms, summary, table } from "../lib/stats.mjs";

const CALL = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "profile_draft", arguments: PROFILE } });

/**
 * CPU seconds a process has used (Linux).
 * @param {number | string} pid
 */
function cpuSeconds(pid) {
  const fields = (readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1] ?? "").split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds used by every PostgreSQL process on this machine (the embedded server's backends). */
function databaseCpuSeconds() {
  let total = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/stat`, "utf8").includes(" (postgres) ")) total += cpuSeconds(pid);
    } catch {
      // the process ended between the listing and the read
    }
  }
  return total;
}

/** Busy and total CPU ticks of the whole machine, to show how much of it a run used. */
function machineTicks() {
  const values = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  // The 4th and 5th fields are idle and iowait.
  return { busy: total - (values[3] ?? 0) - (values[4] ?? 0), total };
}

/**
 * A keep-alive HTTP client making raw JSON-RPC paid calls and wallet reads.
 * @param {string} url
 * @param {string} key
 */
function leanClient(url, key) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const headers = {
    authorization: `Bearer ${key}`,
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "content-length": Buffer.byteLength(CALL),
  };
  /** @type {(path: string, method: string, body?: string) => Promise<{ status: number | undefined; text: string }>} */
  const post = (path, method, body) =>
    new Promise((resolve, reject) => {
      const req = http.request(`${url}${path}`, { method, headers: body ? headers : { authorization: headers.authorization }, agent }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode, text }));
      });
      req.on("error", reject);
      req.end(body);
    });
  return {
    paid: async () => (await post("/mcp", "POST", CALL)).text.includes('"metering"'),
    wallet: async () => (await post("/api/v1/credits/wallet/", "GET")).status === 200,
    close: () => agent.destroy(),
  };
}

/** @typedef {{ name: string; clients: (() => Promise<boolean>)[]; pids: (number | null | undefined)[] }} Setup */
/** @typedef {{ perSecond: number; seconds: number; failures: number; cpuMsPerCall: number; dbCpuMsPerCall: number; machineBusy: number }} Run */

/**
 * Runs `measure` on each setup in turn, `rounds` times, so machine noise hits every setup alike.
 * @param {Setup[]} setups
 * @param {number} rounds
 * @param {(setup: Setup) => Promise<Run>} measure
 * @returns {Promise<Record<string, Run[]>>}
 */
async function interleaved(setups, rounds, measure) {
  /** @type {Record<string, Run[]>} */
  const runs = Object.fromEntries(setups.map((s) => [s.name, []]));
  for (let round = 0; round < rounds; round++) for (const setup of setups) runs[setup.name]?.push(await measure(setup));
  return runs;
}

/** @param {number[]} values */
const median = (values) => /** @type {number} */ ([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]);

/**
 * A fresh PostgreSQL database on the server, as a URL.
 * @param {string} serverUrl
 * @param {string} name
 */
async function freshDatabase(serverUrl, name) {
  const pg = (await import("pg")).default;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** @typedef {{ perSecond: number; cpuMsPerCall: number; dbCpuMsPerCall: number; machineBusy: number; failures: number }} Throughput */

/**
 * @param {import("../lib/stack.mjs").Sims} sims
 * @param {{ calls: number; rounds: number; samples: number; seeded: number }} options
 */
export async function scaleoutSection(sims, { calls, rounds, samples, seeded }) {
  /** @type {Record<string, Throughput>} */
  const throughput = {};
  const pgServer = process.env.ECN_TEST_DATABASE_URL ? null : await startEmbeddedPostgres();
  const serverUrl = process.env.ECN_TEST_DATABASE_URL ?? /** @type {NonNullable<typeof pgServer>} */ (pgServer).url;
  /** @type {Record<string, unknown>} */
  const results = {};
  const stamp = Date.now().toString(36);
  try {
    // 1. The SQLite store: stdio against HTTP, one server process each.
    const stdioEnv = benchEnv(sims, freshDb());
    fundedKey(stdioEnv);
    const stdio = await stdioClient(process.execPath, [CLI], stdioEnv);
    const sqliteHttpEnv = benchEnv(sims, freshDb());
    const sqliteKey = fundedKey(sqliteHttpEnv);
    const sqliteHttp = await httpServer(sqliteHttpEnv);
    const sqliteClient = leanClient(sqliteHttp.url, sqliteKey);

    // 2. The PostgreSQL store: one instance, and two instances on one database.
    const { ECN_DB_PATH: _a, ...pgBase } = benchEnv(sims, "");
    const pgEnv = { ...pgBase, ECN_DATABASE_URL: await freshDatabase(serverUrl, `bench_one_${stamp}`) };
    const pgKey = fundedKey(pgEnv);
    const pgHttp = await httpServer(pgEnv);
    const pgClient = leanClient(pgHttp.url, pgKey);
    const pairEnv = { ...pgBase, ECN_DATABASE_URL: await freshDatabase(serverUrl, `bench_two_${stamp}`) };
    const pairKey = fundedKey(pairEnv);
    const pair = [await httpServer(pairEnv), await httpServer(pairEnv)];
    const pairClients = pair.map((s) => leanClient(s.url, pairKey));

    const setups = [
      { name: "stdio_sqlite", clients: [sdkPaidCall(stdio.client)], pids: [stdio.pid()] },
      { name: "http_sqlite", clients: [sqliteClient.paid], pids: [sqliteHttp.proc.pid] },
      { name: "http_postgres", clients: [pgClient.paid], pids: [pgHttp.proc.pid] },
      { name: "http_postgres_x2", clients: pairClients.map((c) => c.paid), pids: pair.map((s) => s.proc.pid) },
    ];
    for (const setup of setups) await drive(setup.clients, 200, 16); // warm up
    /** @param {(number | null | undefined)[]} pids */
    const cpuOf = (pids) => pids.reduce((/** @type {number} */ sum, pid) => sum + (pid == null ? 0 : cpuSeconds(pid)), 0);
    const runs = await interleaved(setups, rounds, async (setup) => {
      const total = calls * setup.clients.length;
      const cpuBefore = cpuOf(setup.pids);
      const [dbBefore, machineBefore] = [databaseCpuSeconds(), machineTicks()];
      const run = await drive(setup.clients, total, 64);
      const cpu = cpuOf(setup.pids) - cpuBefore;
      const machine = machineTicks();
      return {
        ...run,
        cpuMsPerCall: (cpu * 1000) / total,
        dbCpuMsPerCall: ((databaseCpuSeconds() - dbBefore) * 1000) / total,
        machineBusy: (machine.busy - machineBefore.busy) / (machine.total - machineBefore.total),
      };
    });
    for (const setup of setups) {
      const of = runs[setup.name] ?? [];
      throughput[setup.name] = {
        perSecond: median(of.map((r) => r.perSecond)),
        cpuMsPerCall: median(of.map((r) => r.cpuMsPerCall)),
        dbCpuMsPerCall: median(of.map((r) => r.dbCpuMsPerCall)),
        machineBusy: median(of.map((r) => r.machineBusy)),
        failures: of.reduce((sum, r) => sum + r.failures, 0),
      };
    }
    /** @type {(label: string, r: Throughput, ratio: string) => unknown[]} */
    const row = (label, r, ratio) => [
      label,
      r.perSecond.toFixed(0),
      r.cpuMsPerCall.toFixed(2),
      label.startsWith("PostgreSQL") && pgServer ? r.dbCpuMsPerCall.toFixed(2) : "",
      `${(r.machineBusy * 100).toFixed(0)}%`,
      r.failures,
      ratio,
    ];
    /** @type {(a: Throughput, b: Throughput) => string} */
    const pct = (a, b) => `${((a.perSecond / b.perSecond) * 100).toFixed(0)}%`;
    /** @type {(name: string) => Throughput} */
    const of = (name) => {
      const found = throughput[name];
      if (!found) throw new Error(`no throughput measured for ${name}`);
      return found;
    };
    const r = {
      stdio_sqlite: of("stdio_sqlite"),
      http_sqlite: of("http_sqlite"),
      http_postgres: of("http_postgres"),
      http_postgres_x2: of("http_postgres_x2"),
    };
    Object.assign(results, throughput);
    table(
      `Scaling out: paid calls/s at 64 in flight per server process, median of ${rounds} interleaved rounds of ${calls} calls (targets: HTTP >= 90% of stdio; PostgreSQL >= 60% of SQLite)`,
      ["setup", "paid calls/s", "server CPU ms / call", "database CPU ms / call", "machine busy", "failed", "ratio"],
      [
        row("SQLite, stdio (SDK client)", r.stdio_sqlite, "100%"),
        row("SQLite, HTTP", r.http_sqlite, `${pct(r.http_sqlite, r.stdio_sqlite)} of stdio`),
        row("PostgreSQL, HTTP, one instance", r.http_postgres, `${pct(r.http_postgres, r.http_sqlite)} of SQLite HTTP`),
        row("PostgreSQL, HTTP, two instances, one database", r.http_postgres_x2, `${pct(r.http_postgres_x2, r.http_postgres)} of one instance`),
      ],
    );

    // 3. Paid-call latency over HTTP, one call at a time, both stores interleaved.
    const latency = await timeInterleaved({ sqlite: sqliteClient.paid, postgres: pgClient.paid }, samples);
    const latencies = { sqlite: summary(latency.sqlite), postgres: summary(latency.postgres) };
    results.latency = latencies;

    // 4. Wallet reads on PostgreSQL at 0 and 1M usage events.
    const bigEnv = { ...pgBase, ECN_DATABASE_URL: await freshDatabase(serverUrl, `bench_big_${stamp}`) };
    const bigKey = fundedKey(bigEnv);
    const bigLedger = await openPostgresLedger(bigEnv.ECN_DATABASE_URL);
    const [org] = await bigLedger.listOrgs();
    if (!org) throw new Error("the funded PostgreSQL ledger has no organisation");
    const seedMs = await seedEventsPostgres(bigLedger, org.id, seeded);
    await bigLedger.close();
    const bigHttp = await httpServer(bigEnv);
    const bigClient = leanClient(bigHttp.url, bigKey);
    const wallets = await timeInterleaved({ empty: pgClient.wallet, big: bigClient.wallet }, samples);
    const [emptyWallet, bigWallet] = [summary(wallets.empty), summary(wallets.big)];
    results.walletPostgres = { empty: emptyWallet, [seeded]: bigWallet, seedMs };
    table(
      "PostgreSQL store over HTTP (targets: wallet reads flat within 20% from 0 to 1M events)",
      ["measure", "SQLite", "PostgreSQL"],
      [
        [
          "paid call p50 / p99, one at a time",
          `${ms(latencies.sqlite.p50)} / ${ms(latencies.sqlite.p99)}`,
          `${ms(latencies.postgres.p50)} / ${ms(latencies.postgres.p99)}`,
        ],
        [
          `wallet read p50 at 0 -> ${seeded.toLocaleString("en")} events`,
          "",
          `${ms(emptyWallet.p50)} -> ${ms(bigWallet.p50)} (${((bigWallet.p50 / emptyWallet.p50) * 100).toFixed(0)}%)`,
        ],
      ],
    );

    for (const client of [sqliteClient, pgClient, bigClient, ...pairClients]) client.close();
    await stdio.client.close();
    const servers = [sqliteHttp, pgHttp, bigHttp, ...pair];
    await Promise.all(
      servers.map(
        (server) =>
          new Promise(
            /** @param {(value?: unknown) => void} resolve */
            (resolve) => (server.proc.exitCode !== null ? resolve() : (server.proc.once("exit", resolve), server.proc.kill("SIGTERM"))),
          ),
      ),
    );
  } finally {
    await pgServer?.stop();
  }
  return results;
}
