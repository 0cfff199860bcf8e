/** The four pages, each built from one API answer; charts are drawn once the page is in the document. */
import type { HealthPage, MarginLine, MarginsPage, MarkupLine, OrgDetail, OrgSummary } from "./api.js";
import { lines, stackedBars } from "./charts.js";
import { both, credits, figure, h, pct, table, usd, when, type Child } from "./format.js";

export interface View {
  el: HTMLElement;
  /** Draws the charts (their canvases must be in the document to size themselves). */
  after?: () => void;
}

const chartBox = (test: string, title: string) => {
  const canvas = h("canvas", { "data-test": test, "aria-label": title, role: "img" }) as HTMLCanvasElement;
  return { canvas, box: h("section", { class: "card chart" }, h("h3", {}, title), h("div", { class: "chart-area" }, canvas)) };
};

const daysLeft = (o: OrgSummary) => (o.days_left === null ? "no spend in 7 days" : `${o.days_left} days`);

function budgets(list: OrgSummary["budgets"]): HTMLElement {
  if (!list.length) return h("p", { class: "muted" }, "No budgets.");
  return h(
    "ul",
    { class: "budgets", "data-test": "budgets" },
    list.map((b) =>
      h(
        "li",
        {},
        h("span", {}, `${b.hard ? "hard" : "soft"} ${b.period} · ${b.feature ?? "all features"}: ${credits(b.used_credits)} of ${credits(b.limit_credits)}`),
        h("meter", { min: "0", max: "100", low: "80", high: "99", optimum: "0", value: String(Math.min(100, b.fill_pct)), title: `${b.fill_pct}% used` }),
      ),
    ),
  );
}

export function organisationsView(orgs: OrgSummary[]): View {
  return {
    el: h(
      "div",
      {},
      h("h2", {}, "Organisations"),
      table(
        "orgs",
        ["Organisation", "Balance", "Held", "Available", "Today", "7 days", "30 days", "Credit lasts", "Budgets"],
        orgs.map((o) => [
          h("a", { href: `#/org/${encodeURIComponent(o.id)}` }, o.name),
          both(o.balance),
          credits(o.held.credits),
          both(o.available),
          credits(o.spend_today.credits),
          credits(o.spend_7d.credits),
          credits(o.spend_30d.credits),
          daysLeft(o),
          o.budgets.map((b) => `${b.feature ?? "all"} ${b.fill_pct}%`).join(", ") || "–",
        ]),
      ),
    ),
  };
}

export function organisationView(d: OrgDetail, operator: boolean): View {
  const spend = chartBox("spend-chart", "Spend per day by feature (credits)");
  const balance = chartBox("balance-chart", "Balance at the end of each day (credits)");
  const refusals = chartBox("refusals-chart", "Refused calls per day");
  const s = d.summary;
  const el = h(
    "div",
    {},
    h("h2", { "data-test": "org-name" }, s.name),
    h("p", {}, h("a", { href: `#/org/${encodeURIComponent(s.id)}/connections`, "data-test": "connections-link" }, "Connected apps →")),
    h(
      "div",
      { class: "figures" },
      figure("Balance", both(s.balance), "balance"),
      figure("Available", both(s.available), "available", `${credits(s.held.credits)} held by calls in flight`),
      figure(
        `Spend ${d.period.from} – ${d.period.to}`,
        both(d.total),
        "period-spend",
        `${d.total.calls} calls${d.total.cost_usd !== undefined ? ` · provider cost ${usd(d.total.cost_usd)}` : ""}`,
      ),
      figure("Credit lasts", daysLeft(s), "days-left", "at the last 7 days' burn rate"),
    ),
    h("div", { class: "grid" }, spend.box, balance.box),
    h(
      "div",
      { class: "grid" },
      h(
        "section",
        { class: "card" },
        h("h3", {}, "Spend by model and actor"),
        table(
          "models",
          ["Provider", "Model / actor", "Requests", "Spend", ...(operator ? ["Provider cost"] : [])],
          d.spend_by_model.map((m) => [m.provider, m.model || "–", m.events, both(m.spend), ...(operator ? [usd(m.cost_usd ?? 0)] : [])]),
        ),
      ),
      h("section", { class: "card" }, h("h3", {}, "Budgets"), budgets(d.budgets)),
    ),
    d.refusals.length
      ? refusals.box
      : h(
          "section",
          { class: "card" },
          h("h3", {}, "Refused calls"),
          h("p", { class: "muted", "data-test": "no-refusals" }, "No call was refused in this period."),
        ),
    d.open_tasks.length
      ? h(
          "section",
          { class: "card" },
          h("h3", {}, "Tasks in progress"),
          table(
            "tasks",
            ["Started", "Tool", "Status", "Progress", "Call"],
            d.open_tasks.map((t) => [when(t.created_at), t.tool, h("span", { class: `state ${t.status}` }, t.status), t.status_message ?? "", t.tool_call_id]),
          ),
        )
      : null,
    h(
      "section",
      { class: "card" },
      h("h3", {}, "Recent tool calls"),
      table(
        "calls",
        ["When", "Feature", "State", "Held", "Charged", ...(operator ? ["Provider cost"] : []), "Error"],
        d.recent_calls.map((c) => [
          when(c.created_at),
          c.feature,
          h("span", { class: `state ${c.state}` }, c.state === "held" || c.state === "dispatched" ? `open (${c.state})` : c.state),
          credits(c.hold_credits),
          credits(c.charged_credits),
          ...(operator ? [usd(c.cost_usd ?? 0)] : []),
          c.error_code ?? "",
        ]),
      ),
    ),
  );
  return {
    el,
    after: () => {
      stackedBars(
        spend.canvas,
        d.period.days,
        d.spend_by_feature.map((f) => ({ label: f.feature, data: f.credits })),
        "credits",
      );
      lines(balance.canvas, d.period.days, [{ label: "balance", data: d.balance }], "credits");
      if (d.refusals.length)
        stackedBars(
          refusals.canvas,
          d.period.days,
          d.refusals.map((r) => ({ label: r.code, data: r.counts })),
          "refusals",
        );
    },
  };
}

const times = (markup: number) => `×${markup}`;

/** A feature's row, then (when it was charged at several markups) one row per markup, so every figure names its markup. */
function marginRows(l: MarginLine): Child[][] {
  const row = (label: Child, f: MarkupLine | MarginLine, extra: Child[]): Child[] => [
    label,
    f.calls,
    usd(f.cost_usd),
    usd(f.revenue_usd),
    h("span", { class: f.margin_usd < 0 ? "loss" : "" }, usd(f.margin_usd)),
    pct(f.margin_pct),
    ...extra,
  ];
  const main = row(l.feature, l, [
    l.markups.map((m) => times(m.markup)).join(", "),
    l.estimated_events,
    l.over_hold_events,
    l.unsettled_calls,
    h(
      "span",
      { class: "flags", "data-test": `flags-${l.feature}` },
      l.flags.map((f) => h("span", { class: `flag ${f}` }, f === "loss" ? "LOSS" : f)),
    ),
  ]);
  if (l.markups.length < 2) return [main];
  return [
    main,
    ...l.markups.map((m) =>
      row(h("span", { class: "sub" }, `charged at ${times(m.markup)}`), m, [
        times(m.markup),
        "",
        "",
        "",
        m.below_markup_events ? `${m.below_markup_events} below markup` : "",
      ]),
    ),
  ];
}

export function marginsView(m: MarginsPage): View {
  const chart = chartBox("margin-chart", "Provider cost and revenue per day (USD)");
  const r = m.report;
  const seen = r.markups.length ? r.markups.map((x) => times(x.markup)).join(", ") : "none";
  return {
    el: h(
      "div",
      {},
      h("h2", {}, "Margins"),
      h(
        "p",
        { class: "muted", "data-test": "markups" },
        `Each event is judged by the markup it was charged at. Markups charged in this period: ${seen}; new calls are charged at ${times(r.markup)} ` +
          `(a gross margin of ${r.implied_margin_pct}% of revenue). Same figures as ecn-mcp check-margins.`,
      ),
      r.losing_features.length ? h("p", { class: "alert", "data-test": "loss-alert" }, `Losing money on: ${r.losing_features.join(", ")}`) : null,
      table(
        "margins",
        ["Feature", "Calls", "Provider cost", "Revenue", "Margin", "Margin %", "Markups", "Estimated", "Over hold", "Unsettled", "Flags"],
        [...r.features, r.total].flatMap(marginRows),
      ),
      chart.box,
    ),
    after: () =>
      lines(
        chart.canvas,
        m.period.days,
        [
          { label: "provider cost", data: m.daily.cost_usd },
          { label: "revenue", data: m.daily.revenue_usd },
        ],
        "USD",
      ),
  };
}

export function healthView(p: HealthPage): View {
  const last = p.last_reconcile;
  return {
    el: h(
      "div",
      {},
      h("h2", {}, "Ledger health"),
      h(
        "div",
        { class: "figures" },
        figure("Open calls", String(p.counts.open), "open-calls"),
        figure("Unknown", String(p.counts.unknown), "unknown-calls"),
        figure(
          "Last reconcile",
          last ? when(last.at) : "never",
          "last-reconcile",
          last
            ? `${last.source}: ${Object.entries(last.summary)
                .map(([k, v]) => `${k} ${v}`)
                .join(", ")}`
            : undefined,
        ),
      ),
      h(
        "section",
        { class: "card" },
        h("h3", {}, "Calls open or unknown"),
        table(
          "open",
          ["Call", "Organisation", "Feature", "State", "Age (s)", "Held", "Owner", "Owner is", "Why"],
          p.open_calls.map((c) => [c.id, c.org_id, c.feature, c.state, c.age_seconds, credits(c.hold_credits), c.owner ?? "–", c.owner_status, c.why]),
        ),
      ),
      h(
        "section",
        { class: "card" },
        h("h3", {}, "Server instances"),
        table(
          "instances",
          ["Instance", "Kind", "Host", "Pid", "Open calls", "Status", "Why"],
          p.instances.map((i) => [i.id, i.kind ?? "–", i.host ?? "–", i.pid ?? "–", i.openCalls, i.alive ? "alive" : "dead", i.why]),
        ),
      ),
    ),
  };
}
