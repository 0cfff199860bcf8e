// @ts-check
/**
 * The ledger alone: a paid call's four durable commits (hold, dispatch mark,
 * provider reference, settle) through our layers, against raw better-sqlite3
 * making four commits per operation with the same pragmas.
 */
import Database from "better-sqlite3";
import { openSqliteLedger } from "#dist/ledger/index.js";
import { freshDb } from "../lib/stack.mjs";
import { now, table } from "../lib/stats.mjs";

/**
 * @param {number} i
 * @returns {import("#dist/ledger/index.js").UsageEventInput}
 */
function event(i) {
  return {
    provider: "openrouter",
    model: "openai/gpt-4o-mini",
    providerRequestId: `gen-${i}`,
    outcome: "ok",
    promptTokens: 400,
    completionTokens: 300,
    totalTokens: 700,
    costNanoUsd: 80_000n,
    costSource: "reported",
    markup: "1.25",
    creditUsdValue: "0.01",
    chargedMicroCredits: 10_000n,
    meteredMicroCredits: 10_000n,
    estimated: false,
    priceUnknown: false,
    createdAt: Date.now(),
  };
}

/** @param {number} ops */
async function ours(ops) {
  const ledger = openSqliteLedger(freshDb());
  const org = await ledger.createOrg("bench", Date.now());
  await ledger.grantCredits(org.id, 10n ** 12n, null, Date.now());
  await ledger.setBudget({ orgId: org.id, feature: null, period: "month", limitMicroCredits: 10n ** 12n, hard: true }, Date.now());
  const started = now();
  for (let i = 0; i < ops; i++) {
    const held = await ledger.placeHold({
      orgId: org.id,
      feature: "profile_draft",
      provider: "openrouter",
      deploymentMode: "hosted",
      holdMicroCredits: 1_000_000n,
      walletHoldMicroCredits: 1_000_000n,
      idempotencyKey: null,
      requestHash: "bench",
      markup: "1.25",
      creditUsdValue: "0.01",
      ownerInstanceId: null,
      connectionId: null,
      apiKeyId: null,
      now: Date.now(),
    });
    if (held.kind !== "placed") throw new Error(`hold refused: ${held.kind}`);
    await ledger.markDispatched(held.call.id, Date.now());
    await ledger.addProviderRef(held.call.id, `gen-${i}`);
    await ledger.settleCall(held.call.id, [event(i)], { resultJson: '{"text":"x"}' }, Date.now());
  }
  const seconds = (now() - started) / 1000;
  await ledger.close();
  return ops / seconds;
}

/**
 * What one durable commit costs on this disk (WAL, synchronous=FULL): the floor under every write.
 * @param {number} commits
 */
function commitCost(commits) {
  const db = new Database(freshDb());
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)");
  const insert = db.prepare("INSERT INTO t (v) VALUES (1)");
  const started = now();
  for (let i = 0; i < commits; i++) insert.run();
  const perCommit = (now() - started) / commits;
  db.close();
  return perCommit;
}

/** @param {number} ops */
function raw(ops) {
  const db = new Database(freshDb());
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  db.exec(`CREATE TABLE calls (id INTEGER PRIMARY KEY, state TEXT, ref TEXT);
           CREATE TABLE events (id INTEGER PRIMARY KEY, call_id INTEGER, cost INTEGER);
           CREATE TABLE wallet (id INTEGER PRIMARY KEY, balance INTEGER, held INTEGER);
           INSERT INTO wallet VALUES (1, 1000000000000, 0);`);
  const hold = db.transaction(() => {
    db.prepare("UPDATE wallet SET held = held + 1000000 WHERE id = 1").run();
    return db.prepare("INSERT INTO calls (state) VALUES ('held')").run().lastInsertRowid;
  });
  const dispatch = db.prepare("UPDATE calls SET state = 'dispatched' WHERE id = ?");
  const reference = db.prepare("UPDATE calls SET ref = ? WHERE id = ?");
  const settle = db.transaction((/** @type {number | bigint} */ id) => {
    db.prepare("INSERT INTO events (call_id, cost) VALUES (?, 80000)").run(id);
    db.prepare("UPDATE wallet SET balance = balance - 10000, held = held - 1000000 WHERE id = 1").run();
    db.prepare("UPDATE calls SET state = 'settled' WHERE id = ?").run(id);
  });
  const started = now();
  for (let i = 0; i < ops; i++) {
    const id = hold.immediate();
    dispatch.run(id);
    reference.run(`gen-${i}`, id);
    settle.immediate(id);
  }
  const seconds = (now() - started) / 1000;
  db.close();
  return ops / seconds;
}

/** @param {{ ops: number }} options */
export async function ledgerSection({ ops }) {
  // Interleave halves so disk and CPU noise hit both alike.
  const half = Math.floor(ops / 2);
  const a1 = await ours(half);
  const r1 = raw(half);
  const a2 = await ours(half);
  const r2 = raw(half);
  const [oursPerSecond, rawPerSecond] = [(a1 + a2) / 2, (r1 + r2) / 2];
  const result = { oursPerSecond, rawPerSecond, commitMs: commitCost(ops), ratio: oursPerSecond / rawPerSecond };
  table(
    `Ledger: hold + dispatch + reference + settle (4 durable commits), ${ops} operations each`,
    ["implementation", "operations/s", "vs raw"],
    [
      ["ecn-mcp SqliteLedger (drizzle, checks, budgets)", result.oursPerSecond.toFixed(0), `${(result.ratio * 100).toFixed(0)}%`],
      ["raw better-sqlite3, same commits and pragmas", result.rawPerSecond.toFixed(0), "100%"],
    ],
  );
  console.log(`  one durable commit (WAL, synchronous=FULL) on this disk: ${result.commitMs.toFixed(3)} ms`);
  return result;
}
