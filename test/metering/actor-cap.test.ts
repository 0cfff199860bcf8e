/**
 * The cap of an actor run against the actor's minimum, with the rate card a
 * fresh ledger is seeded with (real migrations, either store).
 */
import { describe, expect, it } from "vitest";
import { actorCapMicro, actorMinimum } from "../../src/metering/actor-cap.js";
import type { PricingConfig } from "../../src/metering/pricing.js";
import { parseDecimal } from "../../src/money.js";
import { tempLedger } from "../helpers/store.js";

const DEFAULTS: PricingConfig = { markup: parseDecimal("1.25"), creditUsdValue: parseDecimal("0.01"), deploymentMode: "hosted" };
const HALF_DOLLAR = 500_000_000n; // Google Search Scraper's minimalMaxTotalChargeUsd, in nano-USD
const ACTOR = "apify/google-search-scraper";
const request = (maxCostMicroCredits?: bigint) => ({ org: { id: "o", name: "o" }, feature: "lead_signal_fetch" as const, args: {}, maxCostMicroCredits });

describe("the cap of a lead-signal run", () => {
  it("at the seeded floor and the default pricing, covers the default actor's $0.50 minimum as it is", async () => {
    const { ledger } = await tempLedger();
    const card = await ledger.getRateCard("lead_signal_fetch");
    expect(card.floorMicroCredits).toBe(75_000_000n);
    expect(actorCapMicro(request(), card.floorMicroCredits, ACTOR, HALF_DOLLAR, DEFAULTS)).toBe(card.floorMicroCredits);
  });

  it("raises a default cap below the minimum to it, and refuses a chosen one, naming the credits needed", () => {
    expect(actorCapMicro(request(), 40_000_000n, ACTOR, HALF_DOLLAR, DEFAULTS)).toBe(62_500_000n);
    expect(() => actorCapMicro(request(40_000_000n), 75_000_000n, ACTOR, HALF_DOLLAR, DEFAULTS)).toThrow(/max_cost_credits 40 is below .*62\.5 credits/);
    expect(actorCapMicro(request(70_000_000n), 75_000_000n, ACTOR, HALF_DOLLAR, DEFAULTS)).toBe(70_000_000n);
    // Self-hosted, budgets count provider spend at markup 1: $0.50 is 50 credits.
    expect(actorCapMicro(request(), 10_000_000n, ACTOR, HALF_DOLLAR, { ...DEFAULTS, deploymentMode: "self_host" })).toBe(50_000_000n);
  });

  it("takes the larger of the actor's minimum and the operator's", () => {
    expect(actorMinimum(HALF_DOLLAR, null)).toBe(HALF_DOLLAR);
    expect(actorMinimum(null, 800_000_000n)).toBe(800_000_000n);
    expect(actorMinimum(HALF_DOLLAR, 800_000_000n)).toBe(800_000_000n);
    expect(actorMinimum(null, null)).toBeNull();
  });
});
