/**
 * Realised gross margin per feature: provider cost against revenue (credits
 * charged x credit value), computed exactly in nano-USD. Used by the demo and
 * `ecn-mcp check-margins`.
 */
import type { Feature } from "../features.js";
import type { FeatureTotal } from "../ledger/index.js";
import { MICRO_PER_CREDIT, NANO_PER_USD, nanoToUsd, type Decimal } from "../money.js";

export interface MarginRow {
  feature: Feature;
  events: number;
  cost_usd: number;
  revenue_usd: number;
  margin_usd: number;
  /** Margin as a percentage of revenue, null without revenue. */
  margin_pct: number | null;
}

/** Revenue of micro-credits in nano-USD: micro x credit value x 1000 (exact for credit values down to 1e-9 USD). */
export function revenueNanoUsd(micro: bigint, creditUsdValue: Decimal): bigint {
  return (micro * creditUsdValue.units * (NANO_PER_USD / MICRO_PER_CREDIT)) / 10n ** BigInt(creditUsdValue.scale);
}

export function marginRow(total: FeatureTotal, creditUsdValue: Decimal): MarginRow {
  const revenue = revenueNanoUsd(total.chargedMicroCredits, creditUsdValue);
  const margin = revenue - total.costNanoUsd;
  return {
    feature: total.feature,
    events: total.events,
    cost_usd: nanoToUsd(total.costNanoUsd),
    revenue_usd: nanoToUsd(revenue),
    margin_usd: nanoToUsd(margin),
    margin_pct: revenue > 0n ? Number(((margin * 10_000n) / revenue).toString()) / 100 : null,
  };
}
