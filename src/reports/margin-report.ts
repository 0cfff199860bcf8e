/**
 * Realised gross margin per feature: provider cost against revenue (credits
 * charged x credit value), computed exactly in nano-USD. Every event is
 * judged by the markup and credit value it was charged at (the ledger keeps
 * both), never by today's configuration, so a markup change does not turn
 * yesterday's honest charges into a false alarm. The one report behind
 * `ecn-mcp check-margins`, the demo and the dashboard's margins view: each
 * figure is also given per markup it was charged at.
 */
import type { Feature } from "../features.js";
import type { FeatureMargin, MarkupMargin } from "../ledger/index.js";
import { MICRO_PER_CREDIT, microToCredits, NANO_PER_USD, nanoToUsd, parseDecimal, type Decimal } from "../money.js";

export type MarginFlag = "loss" | "below_markup" | "unsettled" | "estimated";

/** Money figures of a set of events, as interfaces show them (exact decimals). */
interface Figures {
  calls: number;
  events: number;
  cost_usd: number;
  /** What the events were charged, in credits (exact to the micro-credit). */
  credits_charged: number;
  revenue_usd: number;
  margin_usd: number;
  /** Margin as a percentage of revenue, null without revenue. */
  margin_pct: number | null;
  /** Events charged below cost x their own markup, or below cost. */
  below_markup_events: number;
}

/** The figures of the events charged at one markup and credit value. */
export interface MarkupLine extends Figures {
  markup: number;
  credit_usd_value: number;
  /** The gross margin this markup implies: 1 - 1/markup, as a percentage of revenue. */
  implied_margin_pct: number;
}

export interface MarginLine extends Figures {
  feature: Feature | "TOTAL";
  estimated_events: number;
  over_hold_events: number;
  unsettled_calls: number;
  self_host_events: number;
  flags: MarginFlag[];
  /** The same figures per markup the events were charged at, lowest first; they add up to the line. */
  markups: MarkupLine[];
}

export interface MarginReport {
  /** The markup and credit value configured now (what new calls are charged at). */
  markup: number;
  credit_usd_value: number;
  /** The gross margin the configured markup implies: 1 - 1/markup, as a percentage. */
  implied_margin_pct: number;
  /** Every markup the period's events were charged at, with their figures over all features. */
  markups: MarkupLine[];
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
const decimalNumber = (d: Decimal) => Number(d.units) / 10 ** d.scale;
const impliedPct = (markup: Decimal) => Number((100 - 100 / decimalNumber(markup)).toFixed(4));

/** Exact sums of one set of events; revenue is summed per pricing, each at its own credit value. */
interface Sums {
  calls: number;
  events: number;
  cost: bigint;
  charged: bigint;
  revenue: bigint;
  belowMarkup: number;
}

const sumsOf = (m: MarkupMargin): Sums => ({
  calls: m.calls,
  events: m.events,
  cost: m.costNanoUsd,
  charged: m.chargedMicroCredits,
  revenue: revenueNanoUsd(m.chargedMicroCredits, parseDecimal(m.creditUsdValue)),
  belowMarkup: m.belowMarkupEvents,
});

function plus(a: Sums, b: Sums): Sums {
  return {
    calls: a.calls + b.calls,
    events: a.events + b.events,
    cost: a.cost + b.cost,
    charged: a.charged + b.charged,
    revenue: a.revenue + b.revenue,
    belowMarkup: a.belowMarkup + b.belowMarkup,
  };
}

const NONE: Sums = { calls: 0, events: 0, cost: 0n, charged: 0n, revenue: 0n, belowMarkup: 0 };

function figures(s: Sums): Figures {
  const margin = s.revenue - s.cost;
  return {
    calls: s.calls,
    events: s.events,
    cost_usd: nanoToUsd(s.cost),
    credits_charged: microToCredits(s.charged),
    revenue_usd: nanoToUsd(s.revenue),
    margin_usd: nanoToUsd(margin),
    margin_pct: pct(margin, s.revenue),
    below_markup_events: s.belowMarkup,
  };
}

/** Markup lines from per-pricing facts, merging equal pricings (the total merges every feature's). */
function markupLines(margins: MarkupMargin[]): MarkupLine[] {
  const merged = new Map<string, { markup: Decimal; creditUsdValue: Decimal; sums: Sums }>();
  for (const m of margins) {
    const key = `${m.markup}|${m.creditUsdValue}`;
    const known = merged.get(key) ?? { markup: parseDecimal(m.markup), creditUsdValue: parseDecimal(m.creditUsdValue), sums: NONE };
    merged.set(key, { ...known, sums: plus(known.sums, sumsOf(m)) });
  }
  return [...merged.values()]
    .map(({ markup, creditUsdValue, sums }) => ({
      markup: decimalNumber(markup),
      credit_usd_value: decimalNumber(creditUsdValue),
      implied_margin_pct: impliedPct(markup),
      ...figures(sums),
    }))
    .sort((a, b) => a.markup - b.markup || a.credit_usd_value - b.credit_usd_value);
}

type LineFacts = Omit<FeatureMargin, "feature" | "calls" | "events" | "costNanoUsd" | "chargedMicroCredits" | "belowMarkupEvents">;

function line(feature: Feature | "TOTAL", facts: LineFacts): MarginLine {
  const sums = facts.markups.map(sumsOf).reduce(plus, NONE);
  const margin = sums.revenue - sums.cost;
  const flags: MarginFlag[] = [];
  if (margin < 0n) flags.push("loss");
  if (sums.belowMarkup > 0) flags.push("below_markup");
  if (facts.openCalls > 0) flags.push("unsettled");
  if (facts.estimatedEvents > 0) flags.push("estimated");
  return {
    feature,
    ...figures(sums),
    estimated_events: facts.estimatedEvents,
    over_hold_events: facts.overHoldEvents,
    unsettled_calls: facts.openCalls,
    self_host_events: facts.selfHostEvents,
    flags,
    markups: markupLines(facts.markups),
  };
}

/**
 * The margin report over the ledger's per-feature, per-markup facts.
 * `markup` and `creditUsdValue` are today's configuration, reported as such;
 * no figure is computed with them.
 */
export function marginReport(margins: FeatureMargin[], markup: Decimal, creditUsdValue: Decimal): MarginReport {
  const features = margins.map((m) => line(m.feature, m));
  const sum = (pick: (m: FeatureMargin) => number) => margins.reduce((total, m) => total + pick(m), 0);
  const allMarkups = margins.flatMap((m) => m.markups);
  const total = line("TOTAL", {
    estimatedEvents: sum((m) => m.estimatedEvents),
    overHoldEvents: sum((m) => m.overHoldEvents),
    openCalls: sum((m) => m.openCalls),
    selfHostEvents: sum((m) => m.selfHostEvents),
    markups: allMarkups,
  });
  return {
    markup: decimalNumber(markup),
    credit_usd_value: decimalNumber(creditUsdValue),
    implied_margin_pct: impliedPct(markup),
    markups: total.markups,
    features,
    total,
    losing_features: features.filter((f) => f.flags.includes("loss")).map((f) => f.feature as Feature),
  };
}
