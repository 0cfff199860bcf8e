// @ts-check
/**
 * Cache propagation: three `ecn-mcp http` instances on one PostgreSQL
 * database, each serving API keys, rate cards and model prices from its read
 * cache. A write (a key revoked, a rate card's floor raised and lowered, a
 * model price set and removed) is made through the ledger, as the CLI and the
 * dashboard make it; every instance is then asked, request after request,
 * until it answers as the change says. Reported: from the start of the write
 * to the last instance's first such answer, per change (target: within 1 s).
 */
import { openPostgresLedger } from "#dist/ledger/index.js";
import { leanClient } from "../lib/lean-http.mjs";
import { freshDatabase, postgresServer } from "../lib/postgres.mjs";
import { benchEnv, cli, httpServer, stopProcess } from "../lib/stack.mjs";
import { ms, now, percentile, table } from "../lib/stats.mjs";

const INSTANCES = 3;
/** How long an instance may take to see a change before it counts as never (a MISS, not a hang). */
const GIVE_UP_MS = 10_000;
const TARGET_MS = 1_000;
/** A floor above the wallet (100 credits), in micro-credits: every instance must refuse once it knows. */
const HIGH_FLOOR = 500_000_000n;

/**
 * Times one change: the write, then every instance polled until `seen` holds on it.
 * @template T
 * @param {() => Promise<unknown>} write
 * @param {T[]} instances
 * @param {(instance: T) => Promise<boolean>} seen
 */
async function propagate(write, instances, seen) {
  const started = now();
  await write();
  const commitMs = now() - started;
  const each = await Promise.all(
    instances.map(async (instance) => {
      while (!(await seen(instance))) if (now() - started > GIVE_UP_MS) return Infinity;
      return now() - started;
    }),
  );
  return { commitMs, lastMs: Math.max(...each), each };
}

/**
 * @param {import("../lib/stack.mjs").Sims} sims
 * @param {{ repetitions: number }} options
 */
export async function propagationSection(sims, { repetitions }) {
  const pg = await postgresServer();
  /** @type {{ proc: import("node:child_process").ChildProcess }[]} */
  let servers = [];
  try {
    const { ECN_DB_PATH: _unused, ...base } = benchEnv(sims, "");
    const env = { ...base, ECN_LOG_LEVEL: "info", ECN_DATABASE_URL: await freshDatabase(pg.url, `bench_cache_${Date.now().toString(36)}`) };
    cli(env, "org", "create", "bench");
    cli(env, "credits", "grant", "--org", "bench", "--credits", "100");
    /** @type {() => { id: string; key: string }} */
    const newKey = () => JSON.parse(cli(env, "key", "create", "--org", "bench", "--json"));
    const caller = newKey();
    const doomed = Array.from({ length: repetitions }, newKey);
    const fleet = await Promise.all(Array.from({ length: INSTANCES }, () => httpServer(env, { keepStderr: true })));
    servers = fleet;
    const ledger = await openPostgresLedger(env.ECN_DATABASE_URL, { migrate: false });
    try {
      // Every instance hears the change channel, and has the rate card and prices cached, before anything changes.
      const callers = fleet.map((server) => leanClient(server.url, caller.key));
      for (const [i, server] of fleet.entries()) {
        const deadline = now() + GIVE_UP_MS;
        while (!server.stderr().includes("read cache on")) {
          if (now() > deadline) throw new Error(`instance ${i} never turned its read cache on: ${server.stderr().slice(-500)}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      for (const client of callers) if ((await client.paidOutcome()) !== "ok") throw new Error("a paid call failed before any change");
      const card = await ledger.getRateCard(/** @type {import("#dist/features.js").Feature} */ ("profile_draft"));
      const usual = card.floorMicroCredits;
      const model = card.model;
      if (!model) throw new Error("profile_draft's rate card names no model");
      /** @type {Record<string, { commitMs: number; lastMs: number; each: number[] }[]>} */
      const changes = { "key revoked": [], "floor raised": [], "floor lowered": [], "model price set": [], "model price removed": [] };
      /** @type {(answer: string) => (client: ReturnType<typeof leanClient>) => Promise<boolean>} */
      const answers = (answer) => async (client) => (await client.paidOutcome()) === answer;
      for (let rep = 0; rep < repetitions; rep++) {
        const doomedKey = /** @type {{ id: string; key: string }} */ (doomed[rep]);
        const holders = fleet.map((server) => leanClient(server.url, doomedKey.key));
        for (const holder of holders) if ((await holder.walletStatus()) !== 200) throw new Error("a fresh key was refused before its revoke");
        changes["key revoked"]?.push(
          await propagate(
            () => ledger.revokeApiKey(doomedKey.id, Date.now()),
            holders,
            async (holder) => (await holder.walletStatus()) === 401,
          ),
        );
        for (const holder of holders) holder.close();
        const feature = card.feature;
        changes["floor raised"]?.push(
          await propagate(() => ledger.updateRateCard(feature, { floorMicroCredits: HIGH_FLOOR }, Date.now()), callers, answers("insufficient_credits")),
        );
        changes["floor lowered"]?.push(await propagate(() => ledger.updateRateCard(feature, { floorMicroCredits: usual }, Date.now()), callers, answers("ok")));
        const price = { model, promptUsd: "1", completionUsd: "1", requestUsd: "0", note: "bench", updatedAt: Date.now() };
        changes["model price set"]?.push(await propagate(() => ledger.setModelPriceOverride(price), callers, answers("insufficient_credits")));
        changes["model price removed"]?.push(await propagate(() => ledger.removeModelPriceOverride(model), callers, answers("ok")));
      }
      for (const client of callers) client.close();
      const all = Object.values(changes).flatMap((runs) => runs.map((r) => r.lastMs));
      const worst = Math.max(...all);
      /** @type {(values: number[]) => string} */
      const show = (values) =>
        values.every(Number.isFinite) ? `${ms(percentile(values, 50))} / ${ms(Math.max(...values))}` : `not seen within ${GIVE_UP_MS} ms`;
      table(
        `Cache propagation: ${INSTANCES} HTTP instances on one PostgreSQL database, ${repetitions} repetitions of each change (target: the last instance within ${TARGET_MS} ms of the write)`,
        ["change", "write (commit) p50", "last instance sees it, p50 / max", "first instance, p50"],
        [
          ...Object.entries(changes).map(([name, runs]) => [
            name,
            ms(
              percentile(
                runs.map((r) => r.commitMs),
                50,
              ),
            ),
            show(runs.map((r) => r.lastMs)),
            ms(
              percentile(
                runs.map((r) => Math.min(...r.each)),
                50,
              ),
            ),
          ]),
          ["every change", "", show(all), ""],
        ],
      );
      return {
        instances: INSTANCES,
        repetitions,
        store: pg.embedded ? "embedded PostgreSQL" : "ECN_TEST_DATABASE_URL",
        targetMs: TARGET_MS,
        maxMs: Number.isFinite(worst) ? worst : null,
        p50Ms: percentile(all, 50),
        changes: Object.fromEntries(
          Object.entries(changes).map(([name, runs]) => [
            name,
            {
              p50Ms: percentile(
                runs.map((r) => r.lastMs),
                50,
              ),
              maxMs: Math.max(...runs.map((r) => r.lastMs)),
            },
          ]),
        ),
      };
    } finally {
      await ledger.close();
    }
  } finally {
    await Promise.all(servers.map((server) => stopProcess(server.proc)));
    await pg.stop();
  }
}
