/**
 * Pricing rules: what an event is charged, what it
 * counts against budgets, and how much a call holds before it runs.
 */
import type { DeploymentMode } from "../features.js";
import type { ToolCallRecord, UsageEventInput } from "../ledger/index.js";
import { chargeMicroCredits, coveredCostNanoUsd, formatDecimal, ONE, parseDecimal, type Decimal } from "../money.js";

export interface PricingConfig {
  markup: Decimal;
  creditUsdValue: Decimal;
  deploymentMode: DeploymentMode;
}

export interface EventPrice {
  chargedMicroCredits: bigint;
  meteredMicroCredits: bigint;
  markup: string;
  creditUsdValue: string;
}

/**
 * The one rule of the two deployment modes. Hosted: the wallet is charged
 * cost x markup (rounded up) and budgets count that charge. Self-hosted: the
 * operator pays the provider, so the wallet is charged nothing, and budgets
 * count the provider spend at markup 1.
 */
export const chargesWallet = (pricing: Pick<PricingConfig, "deploymentMode">): boolean => pricing.deploymentMode === "hosted";
export const meteringMarkup = (pricing: PricingConfig): Decimal => (chargesWallet(pricing) ? pricing.markup : ONE);

/** What an event of this provider cost is charged and counts against budgets. */
export function priceEvent(costNanoUsd: bigint, pricing: PricingConfig): EventPrice {
  const metered = chargeMicroCredits(costNanoUsd, meteringMarkup(pricing), pricing.creditUsdValue);
  return {
    chargedMicroCredits: chargesWallet(pricing) ? metered : 0n,
    meteredMicroCredits: metered,
    markup: formatDecimal(pricing.markup),
    creditUsdValue: formatDecimal(pricing.creditUsdValue),
  };
}

export interface HoldAmounts {
  /** Reserved against budgets. */
  hold: bigint;
  /** Reserved on the wallet (0 when the wallet is not charged). */
  walletHold: bigint;
}

/**
 * The hold is the rate card's floor or, where the worst-case provider cost is
 * known, that worst case priced like a real event, whichever is larger.
 */
export function holdAmounts(floorMicroCredits: bigint, worstCaseNanoUsd: bigint | null, pricing: PricingConfig): HoldAmounts {
  const worst = worstCaseNanoUsd === null ? 0n : priceEvent(worstCaseNanoUsd, pricing).meteredMicroCredits;
  const hold = worst > floorMicroCredits ? worst : floorMicroCredits;
  return { hold, walletHold: chargesWallet(pricing) ? hold : 0n };
}

/** The pricing a call was held at (stored with it), so whoever resolves it charges what the caller was quoted. */
export function callPricing(call: Pick<ToolCallRecord, "markup" | "creditUsdValue" | "deploymentMode">, current: PricingConfig): PricingConfig {
  return {
    markup: call.markup ? parseDecimal(call.markup) : current.markup,
    creditUsdValue: call.creditUsdValue ? parseDecimal(call.creditUsdValue) : current.creditUsdValue,
    deploymentMode: call.deploymentMode,
  };
}

/**
 * The price of work whose cost nobody can tell (no provider reference, or a
 * cost the provider reported that no request can have): what is left of the
 * call's hold after its other events. The hold is the worst case the call was
 * capped at, so this is never below the real cost. The recorded cost is the
 * provider cost that charge covers.
 */
export function estimatedPrice(
  call: Pick<ToolCallRecord, "holdMicroCredits" | "walletHoldMicroCredits">,
  others: Pick<UsageEventInput, "meteredMicroCredits" | "chargedMicroCredits">[],
  pricing: PricingConfig,
): EventPrice & { costNanoUsd: bigint } {
  const left = (total: bigint, used: bigint) => (total > used ? total - used : 0n);
  const metered = left(
    call.holdMicroCredits,
    others.reduce((sum, e) => sum + e.meteredMicroCredits, 0n),
  );
  const charged = left(
    call.walletHoldMicroCredits,
    others.reduce((sum, e) => sum + e.chargedMicroCredits, 0n),
  );
  return {
    costNanoUsd: coveredCostNanoUsd(metered, meteringMarkup(pricing), pricing.creditUsdValue),
    chargedMicroCredits: chargesWallet(pricing) ? charged : 0n,
    meteredMicroCredits: metered,
    markup: formatDecimal(pricing.markup),
    creditUsdValue: formatDecimal(pricing.creditUsdValue),
  };
}
