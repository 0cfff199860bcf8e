// @ts-check
/**
 * How the cost of reads, paid calls and reports grows with the number of
 * usage events: one ledger (and one server) per size, all measured in the
 * same interleaved rounds so machine noise hits every size alike.
 */
import { execFileSync } from "node:child_process";
import Database from "better-sqlite3";
import { seedEvents } from "../lib/seed.mjs";
import { benchEnv, cli, CLI, freshDb, stdioClient } from "../lib/stack.mjs";
import { ms, now, percentile, summary, table } from "../lib/stats.mjs";

const PROFILE = { business_name: "Bench Bakery", notes: "A sourdough bakery in Portland with a warm, plain-spoken voice and a cafe." };

/** @typedef {{ wallet: number[]; paid: number[]; usage: number[]; margins: number[] }} Samples */

/**
 * @param {import("../lib/stack.mjs").Sims} sims
 * @param {number} size
 */
async function ledgerOfSize(sims, size) {
  const dbPath = freshDb();
  const env = benchEnv(sims, dbPath);
  cli(env, "org", "create", "bench");
  cli(env, "credits", "grant", "--org", "bench", "--credits", "1000000");
  // A monthly budget, so every paid call also checks what was spent this month.
  cli(env, "budget", "set", "--org", "bench", "--period", "month", "--credits", "100000000");
  const db = new Database(dbPath, { readonly: true });
  const { id: orgId } = /** @type {{ id: string }} */ (db.prepare("SELECT id FROM orgs WHERE name = 'bench'").get());
  db.close();
  const seedMs = size ? await seedEvents(dbPath, orgId, size) : 0;
  const server = await stdioClient(process.execPath, [CLI], env);
  /** @type {Samples} */
  const samples = { wallet: [], paid: [], usage: [], margins: [] };
  return { size, env, seedMs, server, samples };
}

/**
 * @param {number[]} samples
 * @param {() => Promise<unknown>} run
 */
async function time(samples, run) {
  const started = now();
  await run();
  samples.push(now() - started);
}

/**
 * @param {import("../lib/stack.mjs").Sims} sims
 * @param {{ sizes: number[]; samples: number }} options
 */
export async function growthSection(sims, { sizes, samples }) {
  /** @typedef {Awaited<ReturnType<typeof ledgerOfSize>>} Sized */
  /** @type {Sized[]} */
  const ledgers = [];
  for (const size of sizes) ledgers.push(await ledgerOfSize(sims, size));
  /** @type {(ledger: Sized, name: string, args: Record<string, unknown>) => Promise<unknown>} */
  const call = (ledger, name, args) => ledger.server.client.callTool({ name, arguments: args });
  for (const ledger of ledgers) for (let i = 0; i < 20; i++) await call(ledger, "profile_draft", PROFILE); // warm up
  for (let round = 0; round < samples; round++) {
    for (const ledger of ledgers) {
      await time(ledger.samples.wallet, () => call(ledger, "get_wallet_balance", {}));
      await time(ledger.samples.paid, () => call(ledger, "profile_draft", PROFILE));
      if (round % 10 === 0) await time(ledger.samples.usage, () => call(ledger, "get_usage", {}));
    }
  }
  for (let round = 0; round < 3; round++) {
    for (const ledger of ledgers) {
      await time(ledger.samples.margins, async () => {
        execFileSync(process.execPath, [CLI, "check-margins", "--json"], { env: ledger.env, maxBuffer: 64 * 1024 * 1024 });
      });
    }
  }
  /** @typedef {{ seedMs: number; wallet: import("../lib/stats.mjs").Summary; paid: import("../lib/stats.mjs").Summary; usage: import("../lib/stats.mjs").Summary; checkMarginsMs: number }} Row */
  /** @type {Record<number, Row>} */
  const results = {};
  /** @type {unknown[][]} */
  const rows = [];
  for (const ledger of ledgers) {
    await ledger.server.client.close();
    const r = {
      seedMs: ledger.seedMs,
      wallet: summary(ledger.samples.wallet),
      paid: summary(ledger.samples.paid),
      usage: summary(ledger.samples.usage),
      checkMarginsMs: percentile(ledger.samples.margins, 50),
    };
    results[ledger.size] = r;
    rows.push([ledger.size.toLocaleString("en-US"), ms(r.wallet.p50), ms(r.paid.p50), ms(r.paid.p99), ms(r.usage.p50), ms(r.checkMarginsMs)]);
  }
  const first = /** @type {Row} */ (results[/** @type {number} */ (sizes[0])]);
  const last = /** @type {Row} */ (results[/** @type {number} */ (sizes.at(-1))]);
  table(
    "Cost growth with ledger size, sizes interleaved (targets: wallet and paid call flat within 20%; check-margins over 1M <= 2000 ms)",
    ["usage events", "wallet p50", "paid p50", "paid p99", "get_usage p50", "check-margins, whole command (median of 3)"],
    [
      ...rows,
      [
        "largest / empty",
        `${((last.wallet.p50 / first.wallet.p50) * 100).toFixed(0)}%`,
        `${((last.paid.p50 / first.paid.p50) * 100).toFixed(0)}%`,
        "",
        `${((last.usage.p50 / first.usage.p50) * 100).toFixed(0)}%`,
        "",
      ],
    ],
  );
  return results;
}
