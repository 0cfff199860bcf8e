/** How the cost of reads, paid calls and reports grows with the number of usage events in the ledger. */
import { execFileSync } from "node:child_process";
import Database from "better-sqlite3";
import { seedEvents } from "../lib/seed.mjs";
import { benchEnv, cli, CLI, freshDb, stdioClient } from "../lib/stack.mjs";
import { ms, now, summary, table } from "../lib/stats.mjs";

const PROFILE = { business_name: "Bench Bakery", notes: "A sourdough bakery in Portland with a warm, plain-spoken voice and a cafe." };

async function timed(samples, run) {
  const times = [];
  for (let i = 0; i < samples; i++) {
    const started = now();
    await run();
    times.push(now() - started);
  }
  return summary(times);
}

export async function growthSection(sims, { sizes, samples }) {
  const dbPath = freshDb();
  const env = benchEnv(sims, dbPath);
  cli(env, "org", "create", "bench");
  cli(env, "credits", "grant", "--org", "bench", "--credits", "1000000");
  cli(env, "budget", "set", "--org", "bench", "--period", "month", "--credits", "100000000");
  const db = new Database(dbPath, { readonly: true });
  const orgId = db.prepare("SELECT id FROM orgs WHERE name = 'bench'").get().id;
  db.close();
  const rows = [];
  const results = {};
  let seeded = 0;
  for (const size of sizes) {
    let seedMs = 0;
    if (size > seeded) {
      seedMs = seedEvents(dbPath, orgId, size - seeded, seeded);
      seeded = size;
    }
    const server = await stdioClient(process.execPath, [CLI], env);
    const call = (name, args) => server.client.callTool({ name, arguments: args });
    await timed(20, () => call("profile_draft", PROFILE)); // warm up
    const wallet = await timed(samples, () => call("get_wallet_balance", {}));
    const paid = await timed(samples, () => call("profile_draft", PROFILE));
    const usage = await timed(Math.max(10, samples / 10), () => call("get_usage", {}));
    await server.client.close();
    const started = now();
    execFileSync(process.execPath, [CLI, "check-margins", "--json"], { env, maxBuffer: 64 * 1024 * 1024 });
    const margins = now() - started;
    results[size] = { seedMs, wallet, paid, usage, checkMarginsMs: margins };
    rows.push([size.toLocaleString("en-US"), ms(wallet.p50), ms(paid.p50), ms(paid.p99), ms(usage.p50), ms(margins)]);
  }
  table(
    "Cost growth with ledger size (targets: wallet and paid call flat within 20%; check-margins over 1M <= 2000 ms)",
    ["usage events", "wallet p50", "paid p50", "paid p99", "get_usage p50", "check-margins (whole command)"],
    rows,
  );
  return results;
}
