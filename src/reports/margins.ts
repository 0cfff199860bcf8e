/**
 * The margins page: the very report `ecn-mcp check-margins` prints (one
 * function computes both, so they agree to the micro-credit), plus provider
 * cost and revenue per day of the period.
 */
import type { Ledger } from "../ledger/index.js";
import { marginReport, revenueNanoUsd, type MarginReport } from "./margin-report.js";
import type { PricingConfig } from "../metering/pricing.js";
import { nanoToUsd, parseDecimal } from "../money.js";
import { daysOf, dayText, type Period } from "./period.js";

export interface MarginsPage {
  period: { name: string; from: string; to: string; days: string[] };
  report: MarginReport;
  /** Hosted provider cost and revenue (each charge at its own credit value) per day, in USD, over every organisation. */
  daily: { cost_usd: number[]; revenue_usd: number[] };
}

export async function marginsPage(ledger: Ledger, period: Period, pricing: PricingConfig): Promise<MarginsPage> {
  const [margins, hostedDays] = await Promise.all([
    ledger.featureMargins({ since: period.fromDay, until: period.toDay }),
    ledger.hostedDays({ orgId: null, fromDay: period.fromDay, toDay: period.toDay }),
  ]);
  const days = daysOf(period);
  const index = new Map(days.map((d, i) => [d, i]));
  const cost = days.map(() => 0n);
  const revenue = days.map(() => 0n);
  for (const row of hostedDays) {
    const i = index.get(row.day)!;
    cost[i]! += row.costNanoUsd;
    revenue[i]! += revenueNanoUsd(row.chargedMicroCredits, parseDecimal(row.creditUsdValue));
  }
  return {
    period: { name: period.name, from: dayText(period.fromDay), to: dayText(period.toDay - 86_400_000), days: days.map(dayText) },
    report: marginReport(margins, pricing.markup, pricing.creditUsdValue),
    daily: { cost_usd: cost.map(nanoToUsd), revenue_usd: revenue.map(nanoToUsd) },
  };
}
