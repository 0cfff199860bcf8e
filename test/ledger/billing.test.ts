/**
 * The billing scripts on a real ledger, both stores: the balance watch rides
 * on settles and fires each level once until a top-up recovers it; budgets
 * signal at 80% and 100% once per period (a hard budget's 100% is the call it
 * refuses); a crossing makes one recharge attempt; the anomaly scan fires
 * once a day; events fan out to live endpoints only.
 */
import { describe, expect, it } from "vitest";
import type { TestLedger } from "../helpers/store.js";
import { assertInvariants, sqlRows, tempLedger } from "../helpers/store.js";
import { holdRequest, NOW, usageEvent } from "../helpers/ledger-inputs.js";

const CREDIT = 1_000_000n;

/** Holds and settles one call charging `charged` micro-credits; whether the settle signalled. */
async function spend(ledger: TestLedger, orgId: string, charged: bigint, now = NOW): Promise<boolean> {
  const placed = await ledger.placeHold(holdRequest(orgId, charged, { now }));
  if (placed.kind !== "placed") throw new Error(placed.kind);
  const done = await ledger.settleCall(placed.call.id, [usageEvent(charged)], { resultJson: "{}" }, now);
  return done.signalled === true;
}

/** Processes every pending signal; the types of the events written, in order. */
async function process(ledger: TestLedger, now = NOW): Promise<{ types: string[]; attempts: string[] }> {
  const before = new Set((await ledger.billing.billingEvents(null, null, 500)).map((e) => e.id));
  const attempts: string[] = [];
  for (const s of await ledger.billing.pendingSignals(100)) attempts.push(...(await ledger.billing.processSignal(s.orgId, s.key, "0.01", now)).attempts);
  const events = (await ledger.billing.billingEvents(null, null, 500)).filter((e) => !before.has(e.id)).reverse();
  return { types: events.map((e) => e.type), attempts };
}

describe("the balance watch", () => {
  it("fires low levels and depleted once per crossing, and again only after a top-up recovered them", async () => {
    const { ledger } = await tempLedger();
    const org = await ledger.createOrg("acme", NOW);
    await ledger.grantCredits(org.id, 100n * CREDIT, "top-up", NOW); // levels: 20, 5, depleted
    expect(await spend(ledger, org.id, 50n * CREDIT)).toBe(false); // 50 left: nothing crossed
    expect(await spend(ledger, org.id, 35n * CREDIT)).toBe(true); // 15 left: under 20
    expect(await spend(ledger, org.id, 1n * CREDIT)).toBe(false); // same crossing: no second signal
    expect((await process(ledger)).types).toEqual(["balance.low"]);
    expect(await spend(ledger, org.id, 11n * CREDIT)).toBe(true); // 3 left: under 5
    expect((await process(ledger)).types).toEqual(["balance.low"]);
    expect(await spend(ledger, org.id, 3n * CREDIT)).toBe(true); // 0 left
    expect((await process(ledger)).types).toEqual(["balance.depleted"]);
    expect(await spend(ledger, org.id, 0n)).toBe(false);

    await ledger.grantCredits(org.id, 40n * CREDIT, "top-up", NOW); // 40: levels now 8 and 2; all recovered
    expect((await process(ledger)).types).toEqual([]);
    const events = (await ledger.billing.billingEvents(org.id, null, 50)).map((e) => e.type).reverse();
    expect(events.slice(-2).sort()).toEqual(["balance.recovered", "credits.granted"]);
    expect(await spend(ledger, org.id, 33n * CREDIT)).toBe(true); // 7: under 8 again, fires again
    expect((await process(ledger)).types).toEqual(["balance.low"]);
    const low = (await ledger.billing.billingEvents(org.id, ["balance.low"], 1))[0]!;
    expect(JSON.parse(low.payload)).toMatchObject({
      type: "balance.low",
      data: { org_id: org.id, balance_credits: 7, threshold_credits: 8, threshold_pct: 20 },
    });
    await assertInvariants(ledger);
  });

  it("makes one recharge attempt per crossing when the organisation has a saved card, within its monthly maximum", async () => {
    const { ledger } = await tempLedger();
    const org = await ledger.createOrg("acme", NOW);
    await ledger.grantCredits(org.id, 1000n * CREDIT, "top-up", NOW);
    await ledger.billing.saveCustomer(org.id, "cus_1", NOW);
    await ledger.billing.applyStripeEvent("evt_card", "payment_intent.succeeded", { kind: "save_card", customerId: "cus_1", paymentMethodId: "pm_1" }, NOW);
    await ledger.billing.setRecharge({ orgId: org.id, belowMicroCredits: 500n * CREDIT, targetMicroCredits: 1000n * CREDIT, maxMonthUsdCents: 1000 }, NOW);
    expect(await spend(ledger, org.id, 600n * CREDIT)).toBe(true); // 400 left: under 500
    expect(await spend(ledger, org.id, 1n * CREDIT)).toBe(false);
    const { attempts } = await process(ledger);
    expect(attempts).toHaveLength(1);
    const [attempt] = await sqlRows(ledger, "SELECT crossing, micro_credits, usd_cents, status FROM recharge_attempts");
    expect(attempt).toMatchObject({ micro_credits: 601n * CREDIT, usd_cents: 601n, status: "pending" }); // back to 1000, whole cents
    // A second crossing this month would pass the $10 maximum: refused, and said so.
    await ledger.billing.rechargeFailed(attempts[0]!, org.id, "pi_1", "card_declined", "Your card was declined.", NOW);
    const rule = await ledger.billing.rechargeRule(org.id);
    expect(rule).toMatchObject({ enabled: false });
    expect(
      (await ledger.billing.billingEvents(org.id, ["recharge.failed"], 5)).map((e) => JSON.parse(e.payload) as { data: { reason: string } }),
    ).toMatchObject([{ data: { reason: "card_declined" } }]);
    await assertInvariants(ledger);
  });
});

describe("budget alerts", () => {
  it("signals 80% and 100% of a soft budget once per period, and 100% of a hard budget when it refuses a call", async () => {
    const { ledger } = await tempLedger();
    const org = await ledger.createOrg("acme", NOW);
    await ledger.grantCredits(org.id, 1000n * CREDIT, "top-up", NOW);
    await ledger.setBudget({ orgId: org.id, feature: null, period: "day", limitMicroCredits: 10n * CREDIT, hard: false }, NOW);
    await ledger.setBudget({ orgId: org.id, feature: "profile_draft", period: "month", limitMicroCredits: 20n * CREDIT, hard: true }, NOW);
    await process(ledger);
    await spend(ledger, org.id, 7n * CREDIT);
    expect((await process(ledger)).types).toEqual([]);
    await spend(ledger, org.id, 2n * CREDIT); // 9 of 10: 80% of the soft budget
    await spend(ledger, org.id, 0n);
    await spend(ledger, org.id, 2n * CREDIT); // 11: 100% (a soft budget lets it pass)
    await spend(ledger, org.id, 2n * CREDIT);
    const soft = await process(ledger);
    expect(soft.types).toEqual(["budget.threshold", "budget.threshold"]);
    const refused = await ledger.placeHold(holdRequest(org.id, 10n * CREDIT)); // 13 + 10 > 20 of the hard monthly budget
    expect(refused.kind).toBe("budget_exceeded");
    const hard = await ledger.billing.billingEvents(org.id, ["budget.threshold"], 10);
    await process(ledger);
    const all = (await ledger.billing.billingEvents(org.id, ["budget.threshold"], 10)).map(
      (e) => (JSON.parse(e.payload) as { data: { percent: number; hard: boolean } }).data,
    );
    expect(all.length - hard.length).toBe(2); // the hard budget's 80% and 100%, both reached by the refused call
    expect(
      all
        .filter((d) => d.hard)
        .map((d) => d.percent)
        .sort(),
    ).toEqual([100, 80]);
    expect(
      all
        .filter((d) => !d.hard)
        .map((d) => d.percent)
        .sort(),
    ).toEqual([100, 80]);
    await ledger.placeHold(holdRequest(org.id, 10n * CREDIT)); // refused again: nothing new
    expect((await process(ledger)).types).toEqual([]);
  });
});

describe("spend anomalies and the outbox fan-out", () => {
  it("fires spend.anomaly once a day when today passes 3x the 7-day average, and queues events for live endpoints only", async () => {
    const { ledger } = await tempLedger();
    const org = await ledger.createOrg("acme", NOW);
    await ledger.grantCredits(org.id, 1000n * CREDIT, "top-up", NOW);
    await ledger.billing.addWebhook({ id: "whe_live", orgId: org.id, url: "https://hooks.example.com/a", secret: "whsec_AAAA", createdAt: NOW });
    await ledger.billing.addWebhook({ id: "whe_gone", orgId: org.id, url: "https://hooks.example.com/b", secret: "whsec_BBBB", createdAt: NOW });
    await ledger.billing.removeWebhook("whe_gone", NOW);
    const DAY = 86_400_000;
    for (let d = 1; d <= 7; d++) await spend(ledger, org.id, 1n * CREDIT, NOW - d * DAY);
    await spend(ledger, org.id, 3n * CREDIT);
    expect(await ledger.billing.scanSpendAnomalies(3, NOW)).toEqual([]); // 3 is not above 3 x 1
    await spend(ledger, org.id, 1n * CREDIT);
    expect(await ledger.billing.scanSpendAnomalies(3, NOW)).toEqual([org.id]);
    expect(await ledger.billing.scanSpendAnomalies(3, NOW)).toEqual([]); // once a day
    expect((await process(ledger)).types).toEqual(["spend.anomaly"]);
    const rows = await sqlRows(ledger, "SELECT endpoint_id FROM webhook_outbox o JOIN billing_events e ON e.id = o.event_id WHERE e.type = 'spend.anomaly'");
    expect(rows).toEqual([{ endpoint_id: "whe_live" }]);
  });
});

describe("clawbacks", () => {
  it("take back a refunded purchase's credits once, even below zero, and the ledger stays sound", async () => {
    const { ledger } = await tempLedger();
    const org = await ledger.createOrg("acme", NOW);
    await ledger.billing.startCheckout({ id: "chk_1", orgId: org.id, pack: "starter", microCredits: 1000n * CREDIT, usdCents: 1000, createdAt: NOW });
    const paid = { kind: "grant_checkout", checkoutId: "chk_1", sessionId: "cs_1", paymentIntent: "pi_1", customerId: null } as const;
    expect((await ledger.billing.applyStripeEvent("evt_1", "checkout.session.completed", paid, NOW)).kind).toBe("applied");
    await spend(ledger, org.id, 700n * CREDIT); // 300 left
    const refund = { kind: "clawback", paymentIntent: "pi_1", refundedCents: 1000 } as const;
    await ledger.billing.applyStripeEvent("evt_2", "charge.refunded", refund, NOW);
    await ledger.billing.applyStripeEvent("evt_3", "charge.refunded", refund, NOW); // the same total again: nothing more
    expect((await ledger.getWallet(org.id)).balanceMicroCredits).toBe(-700n * CREDIT);
    // Below zero by a clawback, not by a hold: the invariants say so, and hold.
    await assertInvariants(ledger);
    expect((await ledger.placeHold(holdRequest(org.id, CREDIT))).kind).toBe("insufficient_credits");
  });
});
