// @ts-check
/**
 * Scaling out: the hosted path (HTTP) against stdio on the SQLite store, and
 * the PostgreSQL store: one, two and three HTTP instances on one database,
 * paid-call latency over HTTP on both stores, wallet reads at 0 and 1M usage
 * events; then the CPU model those figures give (see scale-model.mjs).
 *
 * HTTP is driven by the lean load generator (lean-http.mjs), 64 in flight per
 * instance. Each run counts the CPU time of the server processes, of the
 * embedded PostgreSQL server (its postmaster and backends), of the bench
 * process itself (load generator and simulators) and of the whole machine,
 * so what other users of this shared machine took is known too.
 */
import { openPostgresLedger } from "#dist/ledger/index.js";
import { seedEventsPostgres } from "../lib/seed.mjs";
import { drive, fundedKey, sdkPaidCall, timeInterleaved } from "../lib/load.mjs";
import { leanClient } from "../lib/lean-http.mjs";
import { freshDatabase, postgresServer } from "../lib/postgres.mjs";
import { cpuOf, familyCpuSeconds, machineTicks, selfCpuSeconds } from "../lib/proc.mjs";
import { printScaleModel, scaleModel } from "../lib/scale-model.mjs";
import { benchEnv, CLI, freshDb, httpServer, stdioClient, stopProcess } from "../lib/stack.mjs";
import { ms, summary, table } from "../lib/stats.mjs";

/** @typedef {{ name: string; clients: (() => Promise<boolean>)[]; pids: (number | null | undefined)[] }} Setup */
/** @typedef {import("../lib/scale-model.mjs").Throughput} Throughput */

/** @param {number[]} values */
const median = (values) => /** @type {number} */ ([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]);

/**
 * One run of `total` paid calls at 64 in flight per client, with the CPU every party used.
 * @param {Setup} setup
 * @param {number} total
 * @param {number | null} postmaster
 * @returns {Promise<Throughput>}
 */
async function measure(setup, total, postmaster) {
  const db = () => (postmaster === null ? NaN : familyCpuSeconds(postmaster));
  const before = { server: cpuOf(setup.pids), db: db(), bench: selfCpuSeconds(), machine: machineTicks() };
  const run = await drive(setup.clients, total, 64);
  const after = { server: cpuOf(setup.pids), db: db(), bench: selfCpuSeconds(), machine: machineTicks() };
  const [server, database, bench] = [after.server - before.server, after.db - before.db, after.bench - before.bench];
  const busy = after.machine.busy - before.machine.busy;
  const perCall = (/** @type {number} */ seconds) => (seconds * 1000) / total;
  return {
    perSecond: run.perSecond,
    failures: run.failures,
    cpuMsPerCall: perCall(server),
    dbCpuMsPerCall: perCall(database),
    benchCpuMsPerCall: perCall(bench),
    machineBusy: busy / (after.machine.total - before.machine.total),
    // Cores busy with anything else (other users' work; the database too when it is not ours to count).
    otherCores: Math.max(0, busy - server - bench - (Number.isFinite(database) ? database : 0)) / run.seconds,
  };
}

/**
 * @param {import("../lib/stack.mjs").Sims} sims
 * @param {{ calls: number; rounds: number; samples: number; seeded: number }} options
 */
export async function scaleoutSection(sims, { calls, rounds, samples, seeded }) {
  const pg = await postgresServer();
  /** @type {Record<string, unknown>} */
  const results = {};
  const stamp = Date.now().toString(36);
  /** @type {{ proc: import("node:child_process").ChildProcess }[]} */
  const servers = [];
  /** @type {{ close: () => void }[]} */
  const clients = [];
  /** @type {Awaited<ReturnType<typeof stdioClient>> | undefined} */
  let stdio;
  try {
    // 1. The SQLite store: stdio against HTTP, one server process each.
    const stdioEnv = benchEnv(sims, freshDb());
    fundedKey(stdioEnv);
    stdio = await stdioClient(process.execPath, [CLI], stdioEnv);
    const sqliteHttpEnv = benchEnv(sims, freshDb());
    const sqliteKey = fundedKey(sqliteHttpEnv);
    const sqliteHttp = await httpServer(sqliteHttpEnv);
    servers.push(sqliteHttp);
    const sqliteClient = leanClient(sqliteHttp.url, sqliteKey);
    clients.push(sqliteClient);

    // 2. The PostgreSQL store: one instance, and two and three instances on one database.
    const { ECN_DB_PATH: _a, ...pgBase } = benchEnv(sims, "");
    /** @param {string} name @param {number} count */
    const pgFleet = async (name, count) => {
      const env = { ...pgBase, ECN_DATABASE_URL: await freshDatabase(pg.url, `bench_${name}_${stamp}`) };
      const key = fundedKey(env);
      const fleet = await Promise.all(Array.from({ length: count }, () => httpServer(env)));
      servers.push(...fleet);
      const leans = fleet.map((server) => leanClient(server.url, key));
      clients.push(...leans);
      return { fleet, leans };
    };
    const one = await pgFleet("one", 1);
    const two = await pgFleet("two", 2);
    const three = await pgFleet("three", 3);
    /** @type {(name: string, f: Awaited<ReturnType<typeof pgFleet>>) => Setup} */
    const pgSetup = (name, f) => ({ name, clients: f.leans.map((c) => c.paid), pids: f.fleet.map((s) => s.proc.pid) });
    const setups = [
      { name: "stdio_sqlite", clients: [sdkPaidCall(stdio.client)], pids: [stdio.pid()] },
      { name: "http_sqlite", clients: [sqliteClient.paid], pids: [sqliteHttp.proc.pid] },
      pgSetup("http_postgres", one),
      pgSetup("http_postgres_x2", two),
      pgSetup("http_postgres_x3", three),
    ];
    for (const setup of setups) await drive(setup.clients, 200, 16); // warm up
    /** @type {Record<string, Throughput[]>} */
    const runs = Object.fromEntries(setups.map((s) => [s.name, []]));
    // Each setup in turn, `rounds` times, so machine noise hits every setup alike.
    for (let round = 0; round < rounds; round++) {
      for (const setup of setups) runs[setup.name]?.push(await measure(setup, calls * setup.clients.length, pg.postmaster));
    }
    /** @type {Record<string, Throughput>} */
    const throughput = {};
    for (const setup of setups) {
      const of = runs[setup.name] ?? [];
      /** @type {(pick: (r: Throughput) => number) => number} */
      const mid = (pick) => median(of.map(pick));
      throughput[setup.name] = {
        perSecond: mid((r) => r.perSecond),
        cpuMsPerCall: mid((r) => r.cpuMsPerCall),
        dbCpuMsPerCall: mid((r) => r.dbCpuMsPerCall),
        benchCpuMsPerCall: mid((r) => r.benchCpuMsPerCall),
        machineBusy: mid((r) => r.machineBusy),
        otherCores: mid((r) => r.otherCores),
        failures: of.reduce((sum, r) => sum + r.failures, 0),
      };
    }
    Object.assign(results, throughput);
    /** @type {(name: string) => Throughput} */
    const of = (name) => {
      const found = throughput[name];
      if (!found) throw new Error(`no throughput measured for ${name}`);
      return found;
    };
    /** @type {(label: string, r: Throughput, ratio: string) => unknown[]} */
    const row = (label, r, ratio) => [
      label,
      r.perSecond.toFixed(0),
      r.cpuMsPerCall.toFixed(2),
      Number.isFinite(r.dbCpuMsPerCall) && label.startsWith("PostgreSQL") ? r.dbCpuMsPerCall.toFixed(2) : "",
      r.benchCpuMsPerCall.toFixed(2),
      `${(r.machineBusy * 100).toFixed(0)}%`,
      r.otherCores.toFixed(2),
      r.failures,
      ratio,
    ];
    /** @type {(a: Throughput, b: Throughput) => string} */
    const pct = (a, b) => `${((a.perSecond / b.perSecond) * 100).toFixed(0)}%`;
    const [stdioSqlite, httpSqlite, pg1, pg2, pg3] = [
      of("stdio_sqlite"),
      of("http_sqlite"),
      of("http_postgres"),
      of("http_postgres_x2"),
      of("http_postgres_x3"),
    ];
    table(
      `Scaling out: paid calls/s at 64 in flight per server process, median of ${rounds} interleaved rounds of ${calls} calls per process (targets: HTTP >= 90% of stdio; PostgreSQL >= 80% of SQLite)`,
      [
        "setup",
        "paid calls/s",
        "server CPU ms / call",
        "database CPU ms / call",
        "bench CPU ms / call",
        "machine busy",
        "other users' cores",
        "failed",
        "ratio",
      ],
      [
        row("SQLite, stdio (SDK client)", stdioSqlite, "100%"),
        row("SQLite, HTTP", httpSqlite, `${pct(httpSqlite, stdioSqlite)} of stdio`),
        row("PostgreSQL, HTTP, one instance", pg1, `${pct(pg1, httpSqlite)} of SQLite HTTP`),
        row("PostgreSQL, HTTP, two instances, one database", pg2, `${pct(pg2, pg1)} of one instance`),
        row("PostgreSQL, HTTP, three instances, one database", pg3, `${pct(pg3, pg1)} of one instance`),
      ],
    );
    const model = scaleModel(throughput, { embedded: pg.embedded });
    printScaleModel(model);
    results.model = model;

    // 3. Paid-call latency over HTTP, one call at a time, both stores interleaved.
    const pgClient = /** @type {ReturnType<typeof leanClient>} */ (one.leans[0]);
    const latency = await timeInterleaved({ sqlite: sqliteClient.paid, postgres: pgClient.paid }, samples);
    const latencies = { sqlite: summary(latency.sqlite), postgres: summary(latency.postgres) };
    results.latency = latencies;

    // 4. Wallet reads on PostgreSQL at 0 and 1M usage events.
    const bigEnv = { ...pgBase, ECN_DATABASE_URL: await freshDatabase(pg.url, `bench_big_${stamp}`) };
    const bigKey = fundedKey(bigEnv);
    const bigLedger = await openPostgresLedger(bigEnv.ECN_DATABASE_URL);
    const [org] = await bigLedger.listOrgs();
    if (!org) throw new Error("the funded PostgreSQL ledger has no organisation");
    const seedMs = await seedEventsPostgres(bigLedger, org.id, seeded);
    await bigLedger.close();
    const bigHttp = await httpServer(bigEnv);
    servers.push(bigHttp);
    const bigClient = leanClient(bigHttp.url, bigKey);
    clients.push(bigClient);
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
  } finally {
    for (const client of clients) client.close();
    await stdio?.client.close();
    await Promise.all(servers.map((server) => stopProcess(server.proc)));
    await pg.stop();
  }
  return results;
}
