// @ts-check
/**
 * The scale-out model: CPU per paid call, measured, turned into the cores a
 * target rate needs, and checked against the instances measured here.
 *
 *   total CPU per second = calls/s x (app CPU per call + database CPU per call) <= cores x busy fraction
 *
 * so a rate R needs R x app / 1000 / busy cores of app (one Node instance runs
 * its JavaScript on one core: that many instances) and R x db / 1000 / busy
 * cores of database. On this machine the load generator and the simulators
 * (the bench process) share the cores too, so the check adds their CPU per
 * call, and the cores other users of the machine took are not ours.
 */
import { availableParallelism } from "node:os";
import { table } from "./stats.mjs";

export const TARGET_CALLS = 10_000;
/** The busy fraction a plan allows a core (headroom for bursts and GC pauses). */
export const PLAN_BUSY = 0.7;

/**
 * @typedef {{ perSecond: number; failures: number; cpuMsPerCall: number; dbCpuMsPerCall: number; benchCpuMsPerCall: number; machineBusy: number; otherCores: number }} Throughput
 */

/**
 * @param {Record<string, Throughput>} measured by setup: http_sqlite, http_postgres, http_postgres_x2, http_postgres_x3
 * @param {{ embedded: boolean }} options embedded: the database's CPU was counted (a shared server's is not ours)
 */
export function scaleModel(measured, { embedded }) {
  const cores = availableParallelism();
  /** @param {string} name */
  const of = (name) => {
    const found = measured[name];
    if (!found) throw new Error(`the model needs ${name}`);
    return found;
  };
  const [sqlite, one] = [of("http_sqlite"), of("http_postgres")];
  /** @param {string} store @param {number} app @param {number} db */
  const plan = (store, app, db) => {
    const appCores = (TARGET_CALLS * app) / 1000 / PLAN_BUSY;
    const dbCores = (TARGET_CALLS * db) / 1000 / PLAN_BUSY;
    return {
      store,
      appCpuMs: app,
      dbCpuMs: db,
      instances: Math.ceil(appCores),
      dbCores: Math.ceil(dbCores),
      totalCores: Math.ceil(appCores) + Math.ceil(dbCores),
    };
  };
  const plans = [plan("SQLite", sqlite.cpuMsPerCall, 0), plan("PostgreSQL", one.cpuMsPerCall, embedded ? one.dbCpuMsPerCall : NaN)];
  // The check: one instance's CPU per call predicts two and three instances on this machine.
  const perCall = one.cpuMsPerCall + (embedded ? one.dbCpuMsPerCall : 0) + one.benchCpuMsPerCall;
  const check = [
    ["http_postgres", 1],
    ["http_postgres_x2", 2],
    ["http_postgres_x3", 3],
  ].map(([name, n]) => {
    const run = of(/** @type {string} */ (name));
    const instances = /** @type {number} */ (n);
    const available = Math.max(0, cores * run.machineBusy - run.otherCores);
    const oneCoreEach = (instances * 1000) / one.cpuMsPerCall;
    const sharedCores = (available * 1000) / perCall;
    const predicted = Math.min(oneCoreEach, sharedCores);
    const cpuNow = run.cpuMsPerCall + (embedded ? run.dbCpuMsPerCall : 0) + run.benchCpuMsPerCall;
    return {
      instances,
      availableCores: available,
      predicted,
      limit: oneCoreEach < sharedCores ? "instances" : "cores",
      measured: run.perSecond,
      ratio: run.perSecond / predicted,
      cpuMsPerCall: cpuNow,
    };
  });
  return { targetCalls: TARGET_CALLS, planBusy: PLAN_BUSY, cores, embedded, plans, oneInstanceCpuMsPerCall: perCall, check };
}

/** @param {ReturnType<typeof scaleModel>} model */
export function printScaleModel(model) {
  const { targetCalls, planBusy } = model;
  table(
    `Model: what ${targetCalls.toLocaleString("en")} paid calls/s need, from the CPU per call measured above on one instance. instances = ceil(${targetCalls} x app CPU ms / 1000 / ${planBusy}); database cores = ceil(${targetCalls} x database CPU ms / 1000 / ${planBusy})`,
    ["store", "app CPU / call", "database CPU / call", "instances (a core each)", "database cores", "cores in all"],
    model.plans.map((p) => [
      p.store,
      `${p.appCpuMs.toFixed(2)} ms`,
      p.store === "SQLite" ? "in the app" : Number.isFinite(p.dbCpuMs) ? `${p.dbCpuMs.toFixed(2)} ms` : "not counted (shared server)",
      p.instances,
      p.store === "SQLite" ? "0 (one file: every instance on one host)" : Number.isFinite(p.dbCores) ? p.dbCores : "?",
      Number.isFinite(p.totalCores) ? p.totalCores : "?",
    ]),
  );
  table(
    `Model checked on this ${model.cores}-core machine (PostgreSQL): predicted = min(n x 1000 / app ms, cores used x 1000 / ${model.oneInstanceCpuMsPerCall.toFixed(2)} ms), where ${model.oneInstanceCpuMsPerCall.toFixed(2)} ms = app + database + bench CPU per call on one instance and cores used = cores x machine busy - other users' cores`,
    ["instances", "cores used", "predicted calls/s", "limited by", "measured calls/s", "measured / predicted", "CPU per call, all parties"],
    model.check.map((c) => [
      c.instances,
      c.availableCores.toFixed(2),
      c.predicted.toFixed(0),
      c.limit,
      c.measured.toFixed(0),
      `${(c.ratio * 100).toFixed(0)}%`,
      `${c.cpuMsPerCall.toFixed(2)} ms`,
    ]),
  );
}
