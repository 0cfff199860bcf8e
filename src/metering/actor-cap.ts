/**
 * The cap of an actor run. A pay-per-event actor refuses a run whose
 * `maxTotalChargeUsd` is below its own minimum (Google Search Scraper:
 * $0.50), so the cap is never below it: a default cap (the rate card floor)
 * is raised to it, and a cap the caller chose below it is refused with the
 * amount needed. The hold is then at least the cap, so the wallet and every
 * budget are checked against what the run may really cost.
 */
import { EcnError } from "../errors.js";
import { microToCreditsText, nanoToUsd } from "../money.js";
import { priceEvent, type PricingConfig } from "./pricing.js";
import type { ActorCallRequest } from "./types.js";

/** The larger of the actor's own minimum and the operator's configured one, in nano-USD (null: none known). */
export function actorMinimum(fromApify: bigint | null, configured: bigint | null): bigint | null {
  if (fromApify === null) return configured;
  return configured !== null && configured > fromApify ? configured : fromApify;
}

/** The run's cap in micro-credits: the caller's, or the floor, and never below the actor's minimum. */
export function actorCapMicro(request: ActorCallRequest, floorMicro: bigint, actorId: string, minimumNano: bigint | null, pricing: PricingConfig): bigint {
  const asked = request.maxCostMicroCredits ?? floorMicro;
  if (minimumNano === null) return asked;
  // What a run costing the minimum is metered at, rounded up: the cap that lets the actor start.
  const neededMicro = priceEvent(minimumNano, pricing).meteredMicroCredits;
  if (asked >= neededMicro) return asked;
  if (request.maxCostMicroCredits === undefined) return neededMicro;
  throw new EcnError(
    "invalid_input",
    `max_cost_credits ${microToCreditsText(asked)} is below what the Apify actor ${actorId} accepts: it refuses runs capped under ` +
      `$${nanoToUsd(minimumNano).toFixed(2)}, which is ${microToCreditsText(neededMicro)} credits at the current markup. ` +
      `Ask for at least ${microToCreditsText(neededMicro)} credits, or leave max_cost_credits out.`,
    { needed_credits: microToCreditsText(neededMicro) },
  );
}
