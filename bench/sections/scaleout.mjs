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
import { openPostgresLedger } from "../../dist/ledger/index.js";
import { startEmbeddedPostgres } from "../../test/helpers/embedded-postgres.mjs";
import { seedEventsPostgres } from "../lib/seed.mjs";
import { drive, fundedKey, PROFILE, sdkPaidCall, timeInterleaved } from "../lib/load.mjs";
import { benchEnv, CLI, freshDb, httpServer, stdioClient } from "../lib/stack.mjs";
import { ms, summary, table } from "../lib/stats.mjs";

const CALL = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "profile_draft", arguments: PROFILE } });

/** CPU seconds a process has used (Linux). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
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
  const values = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  return { busy: total - values[3] - values[4], total };
}

function leanClient(url, key) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const headers = {
    authorization: `Bearer ${key}`,
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "content-length": Buffer.byteLength(CALL),
  };
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

/** Runs `measure` on each setup in turn, `rounds` times, so machine noise hits every setup alike. */
async function interleaved(setups, rounds, measure) {
  const runs = Object.fromEntries(setups.map((s) => [s.name, []]));
  for (let round = 0; round < rounds; round++) for (const setup of setups) runs[setup.name].push(await measure(setup));
  return runs;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** A fresh PostgreSQL database on the server, as a URL. */
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

export async function scaleoutSection(sims, { calls, rounds, samples, seeded }) {
  const results = {};
  const pgServer = process.env.ECN_TEST_DATABASE_URL ? null : await startEmbeddedPostgres();
  const serverUrl = process.env.ECN_TEST_DATABASE_URL ?? pgServer.url;
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
    const runs = await interleaved(setups, rounds, async (setup) => {
      const total = calls * setup.clients.length;
      const cpuBefore = setup.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
      const [dbBefore, machineBefore] = [databaseCpuSeconds(), machineTicks()];
      const run = await drive(setup.clients, total, 64);
      const cpu = setup.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - cpuBefore;
      const machine = machineTicks();
      return {
        ...run,
        cpuMsPerCall: (cpu * 1000) / total,
        dbCpuMsPerCall: ((databaseCpuSeconds() - dbBefore) * 1000) / total,
        machineBusy: (machine.busy - machineBefore.busy) / (machine.total - machineBefore.total),
      };
    });
    for (const setup of setups) {
      results[setup.name] = {
        perSecond: median(runs[setup.name].map((r) => r.perSecond)),
        cpuMsPerCall: median(runs[setup.name].map((r) => r.cpuMsPerCall)),
        dbCpuMsPerCall: median(runs[setup.name].map((r) => r.dbCpuMsPerCall)),
        machineBusy: median(runs[setup.name].map((r) => r.machineBusy)),
        failures: runs[setup.name].reduce((sum, r) => sum + r.failures, 0),
      };
    }
    const row = (label, r, ratio) => [
      label,
      r.perSecond.toFixed(0),
      r.cpuMsPerCall.toFixed(2),
      label.startsWith("PostgreSQL") && pgServer ? r.dbCpuMsPerCall.toFixed(2) : "",
      `${(r.machineBusy * 100).toFixed(0)}%`,
      r.failures,
      ratio,
    ];
    const pct = (a, b) => `${((a.perSecond / b.perSecond) * 100).toFixed(0)}%`;
    const r = results;
    table(
      `Scaling out: paid calls/s at 64 in flight per server process, median of ${rounds} interleaved rounds of ${calls} calls (targets: HTTP >= 80% of stdio; PostgreSQL >= 60% of SQLite)`,
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
    results.latency = { sqlite: summary(latency.sqlite), postgres: summary(latency.postgres) };

    // 4. Wallet reads on PostgreSQL at 0 and 1M usage events.
    const bigEnv = { ...pgBase, ECN_DATABASE_URL: await freshDatabase(serverUrl, `bench_big_${stamp}`) };
    const bigKey = fundedKey(bigEnv);
    const bigLedger = await openPostgresLedger(bigEnv.ECN_DATABASE_URL);
    const [org] = await bigLedger.listOrgs();
    const seedMs = await seedEventsPostgres(bigLedger, org.id, seeded);
    await bigLedger.close();
    const bigHttp = await httpServer(bigEnv);
    const bigClient = leanClient(bigHttp.url, bigKey);
    const wallets = await timeInterleaved({ empty: pgClient.wallet, big: bigClient.wallet }, samples);
    results.walletPostgres = { empty: summary(wallets.empty), [seeded]: summary(wallets.big), seedMs };
    table(
      "PostgreSQL store over HTTP (targets: wallet reads flat within 20% from 0 to 1M events)",
      ["measure", "SQLite", "PostgreSQL"],
      [
        [
          "paid call p50 / p99, one at a time",
          `${ms(results.latency.sqlite.p50)} / ${ms(results.latency.sqlite.p99)}`,
          `${ms(results.latency.postgres.p50)} / ${ms(results.latency.postgres.p99)}`,
        ],
        [
          `wallet read p50 at 0 -> ${seeded.toLocaleString("en")} events`,
          "",
          `${ms(results.walletPostgres.empty.p50)} -> ${ms(results.walletPostgres[seeded].p50)} (${((results.walletPostgres[seeded].p50 / results.walletPostgres.empty.p50) * 100).toFixed(0)}%)`,
        ],
      ],
    );

    for (const client of [sqliteClient, pgClient, bigClient, ...pairClients]) client.close();
    await stdio.client.close();
    const servers = [sqliteHttp, pgHttp, bigHttp, ...pair];
    await Promise.all(
      servers.map(
        (server) => new Promise((resolve) => (server.proc.exitCode !== null ? resolve() : (server.proc.once("exit", resolve), server.proc.kill("SIGTERM")))),
      ),
    );
  } finally {
    await pgServer?.stop();
  }
  return results;
}
