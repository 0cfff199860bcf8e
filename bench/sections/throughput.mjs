// @ts-check
/** Paid calls per second with many in flight: over one stdio connection, and over HTTP with several clients. */
import Database from "better-sqlite3";
import { benchEnv, CLI, freshDb, httpClient, httpServer, rssMiB, stdioClient } from "../lib/stack.mjs";
import { drive, fundedKey, sdkPaidCall } from "../lib/load.mjs";
import { table } from "../lib/stats.mjs";

/** V8 flags that keep the heap small (NODE_OPTIONS on a memory-constrained host). */
const HEAP_CAP = ["--max-old-space-size=128", "--max-semi-space-size=8"];
/** The young generation at half its default size, which only node's command line (or NODE_OPTIONS) can set: no cap. */
const YOUNG_SIZED = ["--max-semi-space-size=8"];

/** @param {string} dbPath */
function settledCalls(dbPath) {
  const db = new Database(dbPath, { readonly: true });
  const { n } = /** @type {{ n: number }} */ (db.prepare("SELECT count(*) AS n FROM tool_calls WHERE state = 'settled'").get());
  db.close();
  return n;
}

/**
 * @param {import("../lib/stack.mjs").Sims} sims
 * @param {{ calls: number }} options
 */
export async function throughputSection(sims, { calls }) {
  const dbPath = freshDb();
  const env = benchEnv(sims, dbPath);
  fundedKey(env);
  const server = await stdioClient(process.execPath, [CLI], env);
  await drive([sdkPaidCall(server.client)], 100, 8); // warm up
  /** @type {unknown[][]} */
  const rows = [];
  /** @type {Record<string, unknown>} */
  const results = {};
  let total = 100;
  for (const inFlight of [1, 16, 64]) {
    const run = await drive([sdkPaidCall(server.client)], calls, inFlight);
    total += calls;
    results[`stdio_${inFlight}`] = run;
    rows.push([`stdio, one connection, ${inFlight} in flight`, run.perSecond.toFixed(0), run.failures]);
  }
  // Top up to 10k paid calls through this server, then read its memory.
  if (total < 10_000) await drive([sdkPaidCall(server.client)], 10_000 - total, 16);
  const rssMiBAfter10k = rssMiB(/** @type {number} */ (server.pid()));
  results.rssMiBAfter10k = rssMiBAfter10k;
  const durable = settledCalls(dbPath);
  await server.client.close();

  // The same 10k calls with node's young generation sized at start (no cap), and under a V8 heap cap, for hosts that
  // trade some throughput for memory.
  /**
   * @param {string[]} flags
   * @returns {Promise<{ flags: string; perSecond: number; rssMiBAfter10k: number }>}
   */
  const flagged = async (flags) => {
    const env = benchEnv(sims, freshDb());
    fundedKey(env);
    const flaggedServer = await stdioClient(process.execPath, [...flags, CLI], env);
    const run = await drive([sdkPaidCall(flaggedServer.client)], 10_000, 64);
    const measured = { flags: flags.join(" "), perSecond: run.perSecond, rssMiBAfter10k: rssMiB(/** @type {number} */ (flaggedServer.pid())) };
    await flaggedServer.client.close();
    return measured;
  };
  const youngSized = await flagged(YOUNG_SIZED);
  results.youngSized = youngSized;
  const heapCapped = await flagged(HEAP_CAP);
  results.heapCapped = heapCapped;

  const httpEnv = benchEnv(sims, freshDb());
  const key = fundedKey(httpEnv);
  const http = await httpServer(httpEnv);
  const clients = await Promise.all([1, 2, 3, 4].map(() => httpClient(http.url, key)));
  const workers = clients.map(sdkPaidCall);
  await drive(workers, 100, 4);
  const httpRun = await drive(workers, calls, 16);
  results.http_4x16 = httpRun;
  rows.push(["HTTP, 4 clients x 16 in flight", httpRun.perSecond.toFixed(0), httpRun.failures]);
  await Promise.all(clients.map((c) => c.close()));
  http.proc.kill("SIGTERM");

  table(`Throughput, ${calls} paid calls per row (target >= 1000/s at 64 in flight over stdio)`, ["setup", "paid calls/s", "failed"], rows);
  table(
    "Memory",
    ["measure", "value"],
    [
      ["server RSS after 10k paid calls (target <= 150 MiB)", `${rssMiBAfter10k.toFixed(1)} MiB`],
      ...[youngSized, heapCapped].map((m) => [
        `same with node ${m.flags}`,
        `${m.rssMiBAfter10k.toFixed(1)} MiB at ${m.perSecond.toFixed(0)} calls/s (64 in flight)`,
      ]),
      ["settled calls in the ledger (every charge durable)", String(durable)],
    ],
  );
  results.durableSettled = durable;
  return results;
}
