/** The margin report as a table: one row per feature and the total, and under a row that mixes markups, one row per markup. */
import type { MarginLine, MarginReport, MarkupLine } from "../reports/margin-report.js";
import { printTable } from "./output.js";

const HEAD = [
  "feature",
  "markup",
  "calls",
  "cost (USD)",
  "credits",
  "revenue (USD)",
  "margin (USD)",
  "margin %",
  "estimated",
  "over hold",
  "below markup",
  "unsettled",
  "flags",
];

/** "×1.25", with the credit value when it is not today's. */
function pricing(m: MarkupLine, report: MarginReport): string {
  return m.credit_usd_value === report.credit_usd_value ? `×${m.markup}` : `×${m.markup} @ $${m.credit_usd_value}/credit`;
}

const percent = (value: number | null) => (value === null ? "" : `${value}%`);

function rows(l: MarginLine, report: MarginReport): (string | number)[][] {
  const markup = l.markups.length === 1 ? pricing(l.markups[0]!, report) : l.markups.length > 1 ? "mixed" : "";
  const main = [
    l.feature,
    markup,
    l.calls,
    l.cost_usd,
    l.credits_charged,
    l.revenue_usd,
    l.margin_usd,
    percent(l.margin_pct),
    l.estimated_events,
    l.over_hold_events,
    l.below_markup_events,
    l.unsettled_calls,
    l.flags.join(" "),
  ];
  if (l.markups.length < 2) return [main];
  return [
    main,
    ...l.markups.map((m) => [
      "",
      `  at ${pricing(m, report)}`,
      m.calls,
      m.cost_usd,
      m.credits_charged,
      m.revenue_usd,
      m.margin_usd,
      percent(m.margin_pct),
      "",
      "",
      m.below_markup_events,
      "",
      "",
    ]),
  ];
}

/** Prints the report's table and what the markups seen imply. */
export function printMarginTable(report: MarginReport): void {
  printTable(
    HEAD,
    [...report.features, report.total].flatMap((l) => rows(l, report)),
  );
  const seen = report.markups.map((m) => `${pricing(m, report)} (implies ${m.implied_margin_pct}% of revenue) on ${m.calls} call(s)`);
  if (seen.length) console.log(`Charged at: ${seen.join("; ")}. Each event is judged by the markup it was charged at.`);
  console.log(`Markup now ${report.markup} (implies a gross margin of ${report.implied_margin_pct}% of revenue), credit value $${report.credit_usd_value}.`);
  if (report.losing_features.length) console.log(`LOSS on: ${report.losing_features.join(", ")}`);
}
