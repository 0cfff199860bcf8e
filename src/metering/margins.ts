/**
 * Realised gross margin per feature: provider cost against revenue (credits
 * charged x credit value), computed exactly in nano-USD. Used by the demo and
 * `ecn-mcp check-margins`, which flags features below the margin the markup
 * implies and exits non-zero when one lost money.
 */
import type { Feature } from "../features.js";
import type { FeatureMargin, FeatureTotal } from "../ledger/index.js";
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

export type MarginFlag = "loss" | "below_markup" | "unsettled" | "estimated";

export interface MarginLine extends Omit<MarginRow, "feature"> {
  feature: Feature | "TOTAL";
  calls: number;
  estimated_events: number;
  over_hold_events: number;
  unsettled_calls: number;
  self_host_events: number;
  flags: MarginFlag[];
}

export interface MarginReport {
  markup: number;
  /** The gross margin a markup implies: 1 - 1/markup, as a percentage. */
  implied_margin_pct: number;
  features: MarginLine[];
  total: MarginLine;
  /** Features whose margin is negative (the exit code says so too). */
  losing_features: Feature[];
}

/** Revenue of micro-credits in nano-USD: micro x credit value x 1000 (exact for credit values down to 1e-9 USD). */
export function revenueNanoUsd(micro: bigint, creditUsdValue: Decimal): bigint {
  return (micro * creditUsdValue.units * (NANO_PER_USD / MICRO_PER_CREDIT)) / 10n ** BigInt(creditUsdValue.scale);
}

const pct = (part: bigint, whole: bigint) => (whole > 0n ? Number((part * 10_000n) / whole) / 100 : null);

export function marginRow(total: FeatureTotal, creditUsdValue: Decimal): MarginRow {
  const revenue = revenueNanoUsd(total.chargedMicroCredits, creditUsdValue);
  const margin = revenue - total.costNanoUsd;
  return {
    feature: total.feature,
    events: total.events,
    cost_usd: nanoToUsd(total.costNanoUsd),
    revenue_usd: nanoToUsd(revenue),
    margin_usd: nanoToUsd(margin),
    margin_pct: pct(margin, revenue),
  };
}

function line(feature: Feature | "TOTAL", m: Omit<FeatureMargin, "feature">, markup: Decimal, creditUsdValue: Decimal): MarginLine {
  const revenue = revenueNanoUsd(m.chargedMicroCredits, creditUsdValue);
  const margin = revenue - m.costNanoUsd;
  const flags: MarginFlag[] = [];
  if (margin < 0n) flags.push("loss");
  // revenue >= cost x markup, exactly: revenue x 10^scale >= cost x units.
  if (revenue * 10n ** BigInt(markup.scale) < m.costNanoUsd * markup.units) flags.push("below_markup");
  if (m.openCalls > 0) flags.push("unsettled");
  if (m.estimatedEvents > 0) flags.push("estimated");
  return {
    feature,
    calls: m.calls,
    events: m.events,
    cost_usd: nanoToUsd(m.costNanoUsd),
    revenue_usd: nanoToUsd(revenue),
    margin_usd: nanoToUsd(margin),
    margin_pct: pct(margin, revenue),
    estimated_events: m.estimatedEvents,
    over_hold_events: m.overHoldEvents,
    unsettled_calls: m.openCalls,
    self_host_events: m.selfHostEvents,
    flags,
  };
}

export function marginReport(margins: FeatureMargin[], markup: Decimal, creditUsdValue: Decimal): MarginReport {
  const features = margins.map((m) => line(m.feature, m, markup, creditUsdValue));
  const sum = (pick: (m: FeatureMargin) => number) => margins.reduce((total, m) => total + pick(m), 0);
  const total = line(
    "TOTAL",
    {
      calls: sum((m) => m.calls),
      events: sum((m) => m.events),
      costNanoUsd: margins.reduce((t, m) => t + m.costNanoUsd, 0n),
      chargedMicroCredits: margins.reduce((t, m) => t + m.chargedMicroCredits, 0n),
      estimatedEvents: sum((m) => m.estimatedEvents),
      overHoldEvents: sum((m) => m.overHoldEvents),
      openCalls: sum((m) => m.openCalls),
      selfHostEvents: sum((m) => m.selfHostEvents),
    },
    markup,
    creditUsdValue,
  );
  const markupNumber = Number(markup.units) / 10 ** markup.scale;
  return {
    markup: markupNumber,
    implied_margin_pct: Number((100 - 100 / markupNumber).toFixed(4)),
    features,
    total,
    losing_features: features.filter((f) => f.flags.includes("loss")).map((f) => f.feature as Feature),
  };
}
