/**
 * Pricing rules (SPEC sections 1, 2 and 4): what an event is charged, what it
 * counts against budgets, and how much a call holds before it runs.
 */
import type { DeploymentMode } from "../features.js";
import { chargeMicroCredits, formatDecimal, ONE, type Decimal } from "../money.js";

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
 * Hosted: the wallet is charged cost x markup (rounded up) and budgets count
 * that charge. Self-hosted: the operator pays the provider, so nothing is
 * charged, and budgets count the provider spend at markup 1.
 */
export function priceEvent(costNanoUsd: bigint, pricing: PricingConfig): EventPrice {
  const hosted = pricing.deploymentMode === "hosted";
  const charged = hosted ? chargeMicroCredits(costNanoUsd, pricing.markup, pricing.creditUsdValue) : 0n;
  const metered = hosted ? charged : chargeMicroCredits(costNanoUsd, ONE, pricing.creditUsdValue);
  return {
    chargedMicroCredits: charged,
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
  return { hold, walletHold: pricing.deploymentMode === "hosted" ? hold : 0n };
}
