/**
 * The margin report as a table: one row per feature and the total, and under
 * a row that mixes markups, one row per markup. The usual table fits 100
 * columns (long markups and flags wrap inside their cells); `--wide` adds the
 * credits and the estimated, over-hold, below-markup and unsettled counts.
 */
import type { MarginLine, MarginReport, MarkupLine } from "../reports/margin-report.js";
import { tableText } from "./output.js";

/** The width the usual table keeps to: a terminal's, with room to spare. */
export const MARGIN_TABLE_WIDTH = 100;

const WIDE_HEAD = [
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

/** The usual table's columns, as indexes into the wide one, with shorter headings (the money is in USD, said above it). */
const NARROW = [0, 1, 2, 3, 5, 6, 7, 12];
const NARROW_HEAD = ["feature", "markup", "calls", "cost", "revenue", "margin", "margin %", "flags"];
/** Text columns the usual table may wrap between words to fit (markup, flags); numbers and feature names never wrap. */
const WRAPPABLE = [1, 7];

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

/** The report's table and what the markups seen imply, as printed lines. */
export function marginTableText(report: MarginReport, options: { wide?: boolean } = {}): string {
  const all = [...report.features, report.total].flatMap((l) => rows(l, report));
  const lines = options.wide
    ? [tableText(WIDE_HEAD, all)]
    : [
        "Margin per feature in USD (revenue: credits charged x credit value; cost: the providers' bills).",
        tableText(
          NARROW_HEAD,
          all.map((row) => NARROW.map((i) => row[i])),
          { maxWidth: MARGIN_TABLE_WIDTH, wrap: WRAPPABLE },
        ),
      ];
  if (report.markups.length) {
    lines.push("Each event is judged by the markup it was charged at.");
    for (const m of report.markups) lines.push(`Charged at ${pricing(m, report)} (implies ${m.implied_margin_pct}% of revenue) on ${m.calls} call(s).`);
  }
  lines.push(`Markup now ${report.markup} (implies a gross margin of ${report.implied_margin_pct}% of revenue), credit value $${report.credit_usd_value}.`);
  if (report.losing_features.length) lines.push(`LOSS on: ${report.losing_features.join(", ")}`);
  if (!options.wide) lines.push("(--wide adds credits and the estimated, over-hold, below-markup and unsettled counts.)");
  return lines.join("\n");
}

/** Prints the report's table and what the markups seen imply. */
export function printMarginTable(report: MarginReport, options: { wide?: boolean } = {}): void {
  console.log(marginTableText(report, options));
}
