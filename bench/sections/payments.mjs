// @ts-check
/**
 * Money coming in: (1) webhook receipt to spendable credits, p50 and p95: a
 * signed checkout.session.completed posted to a live server until the
 * wallet shows the credits; (2) what the balance watch adds to a paid call:
 * the same call for an organisation whose wallet has alerts and
 * auto-recharge armed (on) against one whose wallet nothing watches (off),
 * interleaved round by round.
 */
import { openSqliteLedger } from "#dist/ledger/index.js";
import { startStripeSimulator, stripeSignature } from "#dist/simulator/stripe.js";
import { PROFILE, timeInterleaved } from "../lib/load.mjs";
import { benchEnv, cli, freshDb, httpClient, httpServer } from "../lib/stack.mjs";
import { ms, now, percentile, summary, table } from "../lib/stats.mjs";

/**
 * @param {import("../lib/stack.mjs").Sims} sims
 * @param {{ purchases: number; rounds: number }} options
 */
export async function paymentsSection(sims, { purchases, rounds }) {
  const stripe = await startStripeSimulator();
  const dbPath = freshDb();
  const env = {
    ...benchEnv(sims, dbPath),
    ECN_STRIPE_SECRET_KEY: stripe.secretKey,
    ECN_STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
    ECN_STRIPE_BASE_URL: stripe.baseUrl,
  };
  /** @type {Record<"off" | "on" | "buyer", string>} */
  const keys = { off: "", on: "", buyer: "" };
  for (const org of /** @type {const} */ (["off", "on", "buyer"])) {
    cli(env, "org", "create", org);
    cli(env, "credits", "grant", "--org", org, "--credits", "1000000");
    keys[org] = /** @type {{ key: string }} */ (JSON.parse(cli(env, "key", "create", "--org", org, "--json"))).key;
  }
  cli(env, "packs", "set", "starter", "--credits", "1000", "--usd", "10");
  cli(env, "recharge", "set", "--org", "on", "--below", "10", "--to", "1000", "--max-month-usd", "100");
  const server = await httpServer(env);
  try {
    // "off": a wallet nothing watches, as before alerts and recharge existed (the settle's watch statement finds no level).
    const ledger = openSqliteLedger(dbPath);
    const offOrg = await ledger.findOrg("off");
    if (!offOrg) throw new Error("the bench organisation off is missing");
    const off = offOrg.id;
    ledger.sqlite.prepare("UPDATE wallets SET watch_below_micro_credits = NULL WHERE org_id = ?").run(off);

    // 1. Webhook receipt to spendable credits.
    /** @type {number[]} */
    const latencies = [];
    const wallet = async () => {
      const response = await fetch(`${server.url}/api/v1/credits/wallet/`, { headers: { authorization: `Bearer ${keys.buyer}` } });
      return /** @type {{ balance_credits: number }} */ (await response.json()).balance_credits;
    };
    for (let i = 0; i < purchases; i++) {
      const checkout = /** @type {{ session_id: string }} */ (
        await (
          await fetch(`${server.url}/api/v1/credits/checkout`, {
            method: "POST",
            headers: { authorization: `Bearer ${keys.buyer}`, "content-type": "application/json" },
            body: JSON.stringify({ pack: "starter" }),
          })
        ).json()
      );
      stripe.pay(checkout.session_id);
      const event = stripe.events.filter((e) => e.type === "checkout.session.completed").at(-1);
      const before = await wallet();
      const payload = JSON.stringify(event, null, 2);
      const started = now();
      const response = await fetch(`${server.url}/api/v1/stripe/webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", "stripe-signature": stripeSignature(stripe.webhookSecret, payload, Math.floor(Date.now() / 1000)) },
        body: payload,
      });
      await response.text();
      while ((await wallet()) === before);
      latencies.push(now() - started);
    }
    const receipt = { n: latencies.length, p50: percentile(latencies, 50), p95: percentile(latencies, 95) };

    // 2. Paid-call overhead with the watch armed, against none.
    const clients = { off: await httpClient(server.url, keys.off), on: await httpClient(server.url, keys.on) };
    /** @param {import("@modelcontextprotocol/sdk/client/index.js").Client} client */
    const call = (client) => async () => {
      const result = await client.callTool({ name: "profile_draft", arguments: PROFILE });
      if (result.isError) throw new Error(JSON.stringify(result.content));
    };
    const samples = await timeInterleaved({ off: call(clients.off), on: call(clients.on) }, rounds, Math.min(50, Math.floor(rounds / 5)));
    await Promise.all(Object.values(clients).map((c) => c.close()));
    ledger.close();
    const stats = { off: summary(samples.off), on: summary(samples.on) };
    table(
      "Money coming in",
      ["measure", "p50", "p95 / p99", "n"],
      [
        ["webhook receipt -> spendable credits (signed POST until the wallet shows them)", ms(receipt.p50), ms(receipt.p95), receipt.n],
        ["paid call (HTTP), alerts and auto-recharge off", ms(stats.off.p50), ms(stats.off.p99), stats.off.n],
        ["paid call (HTTP), alerts and auto-recharge on (armed, not crossing)", ms(stats.on.p50), ms(stats.on.p99), stats.on.n],
        ["difference on - off (target: none measurable)", ms(stats.on.p50 - stats.off.p50), ms(stats.on.p99 - stats.off.p99), ""],
      ],
    );
    return { receipt, overhead: stats, difference: { p50: stats.on.p50 - stats.off.p50, p99: stats.on.p99 - stats.off.p99 } };
  } finally {
    server.proc.kill("SIGTERM");
    await stripe.close();
  }
}
