import { describe, expect, it } from "vitest";
import type { SqliteLedger } from "../../src/ledger/index.js";
import { holdRequest as hold, NOW, usageEvent as event } from "../helpers/ledger-inputs.js";
import { assertInvariants, STORE, tempLedger, type TestLedger } from "../helpers/store.js";

async function funded(ledger: TestLedger, credits: bigint) {
  const org = await ledger.createOrg("acme", NOW);
  await ledger.grantCredits(org.id, credits * 1_000_000n, "test", NOW);
  await assertInvariants(ledger);
  return org;
}

describe(`the ledger (${STORE})`, () => {
  it("runs the real migrations and seeds a rate card row for all ten features", async () => {
    const { ledger } = await tempLedger();
    const cards = await ledger.listRateCards();
    expect(cards.map((c) => c.feature).sort()).toEqual(
      [
        "context_author",
        "context_pack_compile",
        "context_refresh",
        "funnel_generate",
        "lead_enrichment",
        "lead_qualify",
        "lead_signal_fetch",
        "outreach_draft",
        "profile_draft",
        "x_reply_draft",
      ].sort(),
    );
    expect(cards.every((c) => c.floorMicroCredits > 0n)).toBe(true);
    if (ledger.engine.dialect === "sqlite") {
      const sqlite = (ledger as SqliteLedger).sqlite;
      const pragmas = {
        journal: sqlite.pragma("journal_mode", { simple: true }),
        synchronous: sqlite.pragma("synchronous", { simple: true }),
        foreignKeys: sqlite.pragma("foreign_keys", { simple: true }),
        autoCheckpoint: sqlite.pragma("wal_autocheckpoint", { simple: true }),
      };
      // NORMAL: each commit is made durable by the flush after it, off the event loop; checkpoints run on a worker.
      expect(pragmas).toEqual({ journal: "wal", synchronous: 1n, foreignKeys: 1n, autoCheckpoint: 0n });
    }
  });

  it("keeps balance and held equal to their sums through hold, settle and void", async () => {
    const { ledger } = await tempLedger();
    const org = await funded(ledger, 10n);

    const first = await ledger.placeHold(hold(org.id, 3_000_000n));
    await assertInvariants(ledger);
    const second = await ledger.placeHold(hold(org.id, 3_000_000n));
    await assertInvariants(ledger);
    if (first.kind !== "placed" || second.kind !== "placed") throw new Error("holds refused");
    expect(await ledger.getWallet(org.id)).toMatchObject({ balanceMicroCredits: 10_000_000n, heldMicroCredits: 6_000_000n });

    expect(await ledger.markDispatched(first.call.id, NOW)).toBe(true);
    await ledger.addProviderRef(first.call.id, "gen-1");
    await ledger.addProviderRef(first.call.id, "gen-1");
    await assertInvariants(ledger);
    const settled = await ledger.settleCall(first.call.id, [event(1_234_568n)], { resultJson: '{"text":"x"}' }, NOW);
    await assertInvariants(ledger);
    expect(settled.applied).toBe(true);
    expect(settled.call.state).toBe("settled");
    expect(settled.wallet).toMatchObject({ balanceMicroCredits: 8_765_432n, heldMicroCredits: 3_000_000n });
    expect((await ledger.getCall(first.call.id))?.providerRefs).toEqual(["gen-1"]);

    const voided = await ledger.voidCall(
      second.call.id,
      [event(0n, { outcome: "failed", costNanoUsd: 0n, costSource: "none" })],
      { code: "provider_error", message: "402" },
      NOW,
    );
    await assertInvariants(ledger);
    expect(voided.wallet).toMatchObject({ balanceMicroCredits: 8_765_432n, heldMicroCredits: 0n });
  });

  it("resolves each call once: a second settle or void changes nothing", async () => {
    const { ledger } = await tempLedger();
    const org = await funded(ledger, 10n);
    const placed = await ledger.placeHold(hold(org.id, 1_000_000n));
    if (placed.kind !== "placed") throw new Error("refused");
    await ledger.settleCall(placed.call.id, [event(500_000n)], { resultJson: "{}" }, NOW);
    const again = await ledger.settleCall(placed.call.id, [event(500_000n)], { resultJson: "{}" }, NOW);
    const thenVoid = await ledger.voidCall(placed.call.id, [], { code: "x", message: "y" }, NOW);
    await assertInvariants(ledger);
    expect(again.applied).toBe(false);
    expect(thenVoid.applied).toBe(false);
    expect(thenVoid.call.state).toBe("settled");
    expect((await ledger.getWallet(org.id)).balanceMicroCredits).toBe(9_500_000n);
    expect(await ledger.usageEventsOfCall(placed.call.id)).toHaveLength(1);
  });

  it("refuses a hold the available balance cannot cover, writing nothing", async () => {
    const { ledger } = await tempLedger();
    const org = await funded(ledger, 2n);
    const ok = await ledger.placeHold(hold(org.id, 1_500_000n));
    const refused = await ledger.placeHold(hold(org.id, 1_000_000n));
    await assertInvariants(ledger);
    expect(ok.kind).toBe("placed");
    expect(refused).toEqual({ kind: "insufficient_credits", availableMicroCredits: 500_000n, neededMicroCredits: 1_000_000n });
    expect(await ledger.openCalls()).toHaveLength(1);
  });

  it("charges the full cost above the hold and flags the event over_hold", async () => {
    const { ledger } = await tempLedger();
    const org = await funded(ledger, 1n);
    const placed = await ledger.placeHold(hold(org.id, 1_000_000n));
    if (placed.kind !== "placed") throw new Error("refused");
    const settled = await ledger.settleCall(placed.call.id, [event(1_300_000n)], { resultJson: "{}" }, NOW);
    await assertInvariants(ledger);
    expect(settled.wallet.balanceMicroCredits).toBe(-300_000n);
    expect((await ledger.usageEventsOfCall(placed.call.id))[0]?.overHold).toBe(true);
    // A negative wallet refuses the next hold.
    expect((await ledger.placeHold(hold(org.id, 1n))).kind).toBe("insufficient_credits");
  });

  it("enforces hard budgets per org and per feature over settled spend plus open holds", async () => {
    const { ledger } = await tempLedger();
    const org = await funded(ledger, 100n);
    await ledger.setBudget({ orgId: org.id, feature: "profile_draft", period: "day", limitMicroCredits: 5_000_000n, hard: true }, NOW);
    const a = await ledger.placeHold(hold(org.id, 2_000_000n));
    if (a.kind !== "placed") throw new Error("refused");
    await ledger.settleCall(a.call.id, [event(2_000_000n)], { resultJson: "{}" }, NOW);
    const b = await ledger.placeHold(hold(org.id, 2_000_000n));
    expect(b.kind).toBe("placed");
    const c = await ledger.placeHold(hold(org.id, 2_000_000n));
    expect(c).toMatchObject({ kind: "budget_exceeded", standing: { usedMicroCredits: 4_000_000n }, neededMicroCredits: 2_000_000n });
    // Another feature is not limited by the profile_draft budget...
    expect((await ledger.placeHold(hold(org.id, 2_000_000n, { feature: "lead_qualify" }))).kind).toBe("placed");
    // ...but the next UTC day is a new period.
    expect((await ledger.placeHold(hold(org.id, 1_000_000n, { now: NOW + 86_400_000 }))).kind).toBe("placed");
    await assertInvariants(ledger);
  });

  it("reports a crossed soft budget once per period and still places the hold", async () => {
    const { ledger } = await tempLedger();
    const org = await funded(ledger, 100n);
    await ledger.setBudget({ orgId: org.id, feature: null, period: "month", limitMicroCredits: 1_000_000n, hard: false }, NOW);
    const first = await ledger.placeHold(hold(org.id, 2_000_000n));
    const second = await ledger.placeHold(hold(org.id, 2_000_000n));
    expect(first.kind === "placed" && first.softBudgetsCrossed.map((c) => c.firstNotice)).toEqual([true]);
    expect(second.kind === "placed" && second.softBudgetsCrossed.map((c) => c.firstNotice)).toEqual([false]);
    await assertInvariants(ledger);
  });

  it("finds a live call by idempotency key and frees the key once the call is voided", async () => {
    const { ledger } = await tempLedger();
    const org = await funded(ledger, 10n);
    const first = await ledger.placeHold(hold(org.id, 1_000_000n, { idempotencyKey: "k1" }));
    if (first.kind !== "placed") throw new Error("refused");
    const again = await ledger.placeHold(hold(org.id, 1_000_000n, { idempotencyKey: "k1" }));
    expect(again).toMatchObject({ kind: "existing", call: { id: first.call.id } });
    await ledger.voidCall(first.call.id, [], { code: "provider_error", message: "refused" }, NOW);
    expect((await ledger.placeHold(hold(org.id, 1_000_000n, { idempotencyKey: "k1" }))).kind).toBe("placed");
    await assertInvariants(ledger);
  });

  it("self_host calls hold against budgets but not the wallet, and write no spend", async () => {
    const { ledger } = await tempLedger();
    const org = await ledger.createOrg("selfhosted", NOW);
    await ledger.setBudget({ orgId: org.id, feature: null, period: "total", limitMicroCredits: 3_000_000n, hard: true }, NOW);
    const placed = await ledger.placeHold(hold(org.id, 2_000_000n, { deploymentMode: "self_host", walletHoldMicroCredits: 0n }));
    if (placed.kind !== "placed") throw new Error("refused");
    await ledger.settleCall(placed.call.id, [event(0n, { meteredMicroCredits: 1_600_000n, costNanoUsd: 16_000_000n })], { resultJson: "{}" }, NOW);
    expect(await ledger.getWallet(org.id)).toMatchObject({ balanceMicroCredits: 0n, heldMicroCredits: 0n });
    const refused = await ledger.placeHold(hold(org.id, 2_000_000n, { deploymentMode: "self_host", walletHoldMicroCredits: 0n }));
    expect(refused).toMatchObject({ kind: "budget_exceeded", standing: { usedMicroCredits: 1_600_000n } });
    await assertInvariants(ledger);
  });

  it("rolls up per markup, keeps each event's below-markup flag, and budgets still count every markup", async () => {
    const { ledger } = await tempLedger();
    const org = await funded(ledger, 10n);
    await ledger.setBudget({ orgId: org.id, feature: null, period: "day", limitMicroCredits: 2_000_000n, hard: true }, NOW);
    for (const [markup, charged] of [
      ["1.25", 250_000n],
      ["2", 400_000n],
      ["2", 300_000n],
    ] as const) {
      const placed = await ledger.placeHold(hold(org.id, 500_000n, { markup }));
      if (placed.kind !== "placed") throw new Error("refused");
      await ledger.settleCall(placed.call.id, [event(charged, { markup, costNanoUsd: 2_000_000n })], { resultJson: "{}" }, NOW);
    }
    const [margin] = await ledger.featureMargins({ orgId: org.id });
    expect(margin).toMatchObject({ calls: 3, chargedMicroCredits: 950_000n, belowMarkupEvents: 1 });
    expect(margin!.markups).toEqual([
      { markup: "1.25", creditUsdValue: "0.01", calls: 1, events: 1, costNanoUsd: 2_000_000n, chargedMicroCredits: 250_000n, belowMarkupEvents: 0 },
      { markup: "2", creditUsdValue: "0.01", calls: 2, events: 2, costNanoUsd: 4_000_000n, chargedMicroCredits: 700_000n, belowMarkupEvents: 1 },
    ]);
    expect(await ledger.budgetStandings(org.id, NOW)).toMatchObject([{ usedMicroCredits: 950_000n }]);
    // The third event was charged as if at 1.5 (written straight to the ledger): below its own markup, and the invariants say so.
    expect((await ledger.checkInvariants()).filter((p) => !p.includes("below cost x markup"))).toEqual([]);
  });

  it("counts each event once in the spend by model, however many pricings one settle mixes", async () => {
    const { ledger } = await tempLedger();
    const org = await funded(ledger, 10n);
    const placed = await ledger.placeHold(hold(org.id, 1_000_000n));
    if (placed.kind !== "placed") throw new Error("refused");
    const events = [event(250_000n, { markup: "1.25", costNanoUsd: 2_000_000n }), event(400_000n, { markup: "2", costNanoUsd: 2_000_000n })];
    await ledger.settleCall(placed.call.id, events, { resultJson: "{}" }, NOW);
    const day = NOW - (NOW % 86_400_000);
    expect(await ledger.spendByModel({ orgId: org.id, fromDay: day, toDay: day + 86_400_000 })).toEqual([
      { provider: "openrouter", model: "openai/gpt-4o-mini", events: 2, costNanoUsd: 4_000_000n, chargedMicroCredits: 650_000n },
    ]);
    await assertInvariants(ledger);
  });

  it("keeps the providers' usage snapshots and gives each provider's costs by the day its requests were sent", async () => {
    const { ledger } = await tempLedger();
    const org = await funded(ledger, 10n);
    const day = NOW - (NOW % 86_400_000);
    for (const [ref, createdAt] of [
      ["gen-a", NOW],
      ["gen-b", day - 1],
    ] as const) {
      const placed = await ledger.placeHold(hold(org.id, 1_000_000n));
      if (placed.kind !== "placed") throw new Error("refused");
      await ledger.settleCall(placed.call.id, [event(125_000n, { providerRequestId: ref, createdAt })], { resultJson: "{}" }, NOW);
    }
    await ledger.recordUsageSnapshot({ id: "us_1", provider: "openrouter", takenAt: NOW - 1_000, usageNanoUsd: 5_000_000n, reason: "server_start" });
    await ledger.recordUsageSnapshot({ id: "us_2", provider: "openrouter", takenAt: NOW + 1_000, usageNanoUsd: 6_000_000n, reason: "audit" });
    expect(await ledger.snapshotAtOrBefore("openrouter", NOW)).toMatchObject({ id: "us_1", usageNanoUsd: 5_000_000n, reason: "server_start" });
    expect(await ledger.firstSnapshotIn("openrouter", NOW, NOW + 5_000)).toMatchObject({ id: "us_2", takenAt: NOW + 1_000 });
    expect(await ledger.firstSnapshotIn("openrouter", NOW + 2_000, NOW + 5_000)).toBeNull();
    expect(await ledger.snapshotAtOrBefore("apify", NOW)).toBeNull();
    const window = { provider: "openrouter" as const, from: day - 86_400_000, to: day + 86_400_000 };
    expect(await ledger.providerCostByDay(window)).toEqual([
      { day: day - 86_400_000, events: 1, costNanoUsd: 1_000_000n, estimatedEvents: 0, estimatedNanoUsd: 0n },
      { day, events: 1, costNanoUsd: 1_000_000n, estimatedEvents: 0, estimatedNanoUsd: 0n },
    ]);
    expect((await ledger.providerRequests({ ...window, from: day })).map((r) => r.ref)).toEqual(["gen-a"]);
    expect(await ledger.providerCostByDay({ ...window, provider: "apify" })).toEqual([]);
  });
});
