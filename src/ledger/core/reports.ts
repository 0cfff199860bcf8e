/**
 * Reports over the ledger, once for both stores. Aggregates over a time
 * window read the daily rollup for whole UTC days and the events themselves
 * only for the partial days at the window's edges, so their cost depends on
 * the window, not on how many events the ledger holds. Optional filters are
 * written `CAST(@x AS ...) IS NULL OR ...`, so one prepared statement serves
 * every combination.
 */
import type { DeploymentMode, Feature } from "../../features.js";
import { compareDecimal, parseDecimal } from "../../money.js";
import { toUsageEvent } from "../rows.js";
import { all, just, run, type Script } from "../script.js";
import { asBigInt, asNumber, p, statement, type Row } from "../sql.js";
import type { MarkupMargin } from "../report-types.js";
import { OPEN_STATE_SQL, type FeatureMargin, type FeatureTotal, type MarginQuery, type UsageEventRecord, type UsageFilter, type UsageQuery } from "../types.js";

const DAY_MS = 86_400_000;

const eventsOfCall = statement(
  "events_of_call",
  "SELECT * FROM usage_events WHERE tool_call_id = @callId ORDER BY created_at, id",
  { callId: p.text },
  toUsageEvent,
);

const recent = statement(
  "recent_usage",
  `SELECT * FROM usage_events WHERE org_id = @orgId
     AND (CAST(@feature AS TEXT) IS NULL OR feature = @feature)
     AND (CAST(@since AS BIGINT) IS NULL OR settled_at >= @since)
     AND (CAST(@until AS BIGINT) IS NULL OR settled_at < @until)
     AND (CAST(@beforeAt AS BIGINT) IS NULL OR settled_at < @beforeAt OR (settled_at = @beforeAt AND id < @beforeId))
   ORDER BY settled_at DESC, id DESC LIMIT @limit`,
  { orgId: p.text, feature: p.textOrNull, since: p.intOrNull, until: p.intOrNull, beforeAt: p.intOrNull, beforeId: p.text, limit: p.int },
  toUsageEvent,
);

/** One page of the export, oldest first; the page after (afterAt, afterId) in (settled_at, id) order. */
const exportPage = statement(
  "export_usage_page",
  `SELECT * FROM usage_events WHERE settled_at >= @afterAt AND NOT (settled_at = @afterAt AND id <= @afterId)
     AND (CAST(@orgId AS TEXT) IS NULL OR org_id = @orgId)
     AND (CAST(@feature AS TEXT) IS NULL OR feature = @feature)
     AND (CAST(@until AS BIGINT) IS NULL OR settled_at < @until)
   ORDER BY settled_at, id LIMIT @limit`,
  { afterAt: p.int, afterId: p.text, orgId: p.textOrNull, feature: p.textOrNull, until: p.intOrNull, limit: p.int },
  toUsageEvent,
);

/** Sums over events of one feature, deployment mode and pricing (markup, credit value). */
interface Aggregate {
  feature: Feature;
  mode: DeploymentMode;
  markup: string;
  creditUsdValue: string;
  calls: number;
  events: number;
  cost: bigint;
  charged: bigint;
  metered: bigint;
  estimated: number;
  overHold: number;
  belowMarkup: number;
}

const toAggregate = (row: Row): Aggregate => ({
  feature: row.feature as Feature,
  mode: row.deployment_mode as DeploymentMode,
  markup: String(row.markup),
  creditUsdValue: String(row.credit_usd_value),
  calls: asNumber(row.calls),
  events: asNumber(row.events),
  cost: asBigInt(row.cost),
  charged: asBigInt(row.charged),
  metered: asBigInt(row.metered),
  estimated: asNumber(row.estimated),
  overHold: asNumber(row.over_hold),
  belowMarkup: asNumber(row.below_markup),
});

const fromDays = statement(
  "rollup_days",
  `SELECT feature, deployment_mode, markup, credit_usd_value, sum(calls) AS calls, sum(events) AS events,
          sum(cost_nano_usd) AS cost, sum(charged_micro_credits) AS charged, sum(metered_micro_credits) AS metered,
          sum(estimated_events) AS estimated, sum(over_hold_events) AS over_hold, sum(below_markup_events) AS below_markup
     FROM usage_daily
    WHERE (CAST(@orgId AS TEXT) IS NULL OR org_id = @orgId)
      AND (CAST(@from AS BIGINT) IS NULL OR day >= @from) AND (CAST(@to AS BIGINT) IS NULL OR day < @to)
    GROUP BY feature, deployment_mode, markup, credit_usd_value`,
  { orgId: p.textOrNull, from: p.intOrNull, to: p.intOrNull },
  toAggregate,
);

const fromEvents = statement(
  "rollup_events",
  `SELECT e.feature, c.deployment_mode, e.markup, e.credit_usd_value, count(DISTINCT e.tool_call_id) AS calls, count(*) AS events,
          sum(e.cost_nano_usd) AS cost, sum(e.charged_micro_credits) AS charged, sum(e.metered_micro_credits) AS metered,
          sum(e.estimated) AS estimated, sum(e.over_hold) AS over_hold, sum(e.below_markup) AS below_markup
     FROM usage_events e JOIN tool_calls c ON c.id = e.tool_call_id
    WHERE (CAST(@orgId AS TEXT) IS NULL OR e.org_id = @orgId) AND e.settled_at >= @from AND e.settled_at < @to
    GROUP BY e.feature, c.deployment_mode, e.markup, e.credit_usd_value`,
  { orgId: p.textOrNull, from: p.int, to: p.int },
  toAggregate,
);

const openByFeature = statement(
  "open_calls_by_feature",
  `SELECT feature, count(*) AS n FROM tool_calls WHERE ${OPEN_STATE_SQL}
     AND (CAST(@orgId AS TEXT) IS NULL OR org_id = @orgId) GROUP BY feature`,
  { orgId: p.textOrNull },
  (row) => ({ feature: row.feature as Feature, n: asNumber(row.n) }),
);

const clearRollup = statement("clear_usage_daily", "DELETE FROM usage_daily", {});
const clearModelRollup = statement("clear_usage_model_daily", "DELETE FROM usage_model_daily", {});
const rebuildModelRollup = statement(
  "rebuild_usage_model_daily",
  `INSERT INTO usage_model_daily (org_id, day, provider, model, events, cost_nano_usd, charged_micro_credits)
   SELECT org_id, settled_at - (settled_at % ${DAY_MS}), provider, coalesce(model, ''), count(*), sum(cost_nano_usd), sum(charged_micro_credits)
     FROM usage_events GROUP BY org_id, settled_at - (settled_at % ${DAY_MS}), provider, coalesce(model, '')`,
  {},
);
const rebuildRollup = statement(
  "rebuild_usage_daily",
  `INSERT INTO usage_daily (org_id, feature, day, deployment_mode, markup, credit_usd_value, calls, events, cost_nano_usd,
     charged_micro_credits, metered_micro_credits, estimated_events, over_hold_events, below_markup_events)
   SELECT e.org_id, e.feature, e.settled_at - (e.settled_at % ${DAY_MS}), c.deployment_mode, e.markup, e.credit_usd_value,
          count(DISTINCT e.tool_call_id), count(*), sum(e.cost_nano_usd), sum(e.charged_micro_credits), sum(e.metered_micro_credits),
          sum(e.estimated), sum(e.over_hold), sum(e.below_markup)
     FROM usage_events e JOIN tool_calls c ON c.id = e.tool_call_id
    GROUP BY e.org_id, e.feature, e.settled_at - (e.settled_at % ${DAY_MS}), c.deployment_mode, e.markup, e.credit_usd_value`,
  {},
);

const clearConnectionRollup = statement("clear_connection_daily", "DELETE FROM connection_daily", {});
const rebuildConnectionRollup = statement(
  "rebuild_connection_daily",
  `INSERT INTO connection_daily (connection_id, day, calls, charged_micro_credits, metered_micro_credits)
   SELECT connection_id, settled_at - (settled_at % ${DAY_MS}), count(DISTINCT tool_call_id), sum(charged_micro_credits), sum(metered_micro_credits)
     FROM usage_events WHERE connection_id IS NOT NULL GROUP BY connection_id, settled_at - (settled_at % ${DAY_MS})`,
  {},
);

export function usageEventsOfCall(callId: string): Script<UsageEventRecord[]> {
  return all(eventsOfCall, { callId });
}

export function recentUsage(query: UsageQuery): Script<UsageEventRecord[]> {
  return all(recent, {
    orgId: query.orgId,
    feature: query.feature ?? null,
    since: query.since ?? null,
    until: query.until ?? null,
    beforeAt: query.before?.settledAt ?? null,
    beforeId: query.before?.id ?? "",
    limit: query.limit,
  });
}

/** The export's next page after `after` (null: from the start of the filter's window). */
export function usagePage(filter: UsageFilter, after: { settledAt: number; id: string } | null, limit: number): Script<UsageEventRecord[]> {
  return all(exportPage, {
    afterAt: after?.settledAt ?? filter.since ?? 0,
    afterId: after?.id ?? "",
    orgId: filter.orgId ?? null,
    feature: filter.feature ?? null,
    until: filter.until ?? null,
    limit,
  });
}

type Totals = Omit<Aggregate, "feature" | "mode" | "markup" | "creditUsdValue">;
/** Per feature and deployment mode, the totals of each pricing ("markup|credit value") its events were charged at. */
type Rollup = Map<Feature, Record<DeploymentMode, Map<string, Totals>>>;

const empty = (): Totals => ({ calls: 0, events: 0, cost: 0n, charged: 0n, metered: 0n, estimated: 0, overHold: 0, belowMarkup: 0 });

function addTo(into: Totals, row: Totals): void {
  into.calls += row.calls;
  into.events += row.events;
  into.cost += row.cost;
  into.charged += row.charged;
  into.metered += row.metered;
  into.estimated += row.estimated;
  into.overHold += row.overHold;
  into.belowMarkup += row.belowMarkup;
}

function add(rollup: Rollup, rows: Aggregate[]): void {
  for (const row of rows) {
    const entry = rollup.get(row.feature) ?? { hosted: new Map<string, Totals>(), self_host: new Map<string, Totals>() };
    const key = `${row.markup}|${row.creditUsdValue}`;
    const into = entry[row.mode].get(key) ?? empty();
    addTo(into, row);
    entry[row.mode].set(key, into);
    rollup.set(row.feature, entry);
  }
}

/** The sum over every pricing. */
function summed(byPricing: Map<string, Totals>): Totals {
  const total = empty();
  for (const totals of byPricing.values()) addTo(total, totals);
  return total;
}

/** Lower markup first, then lower credit value: the order a report lists them in. */
function byValue(a: string, b: string): number {
  const [ma = "0", ca = "0"] = a.split("|");
  const [mb = "0", cb = "0"] = b.split("|");
  return compareDecimal(parseDecimal(ma), parseDecimal(mb)) || compareDecimal(parseDecimal(ca), parseDecimal(cb));
}

/** Aggregates of events settled in [since, until), per feature and deployment mode. */
function* rollupWindow(query: MarginQuery): Script<Rollup> {
  const rollup: Rollup = new Map();
  const { since, until } = query;
  const orgId = query.orgId ?? null;
  const events = (from: number, to: number): Script<Aggregate[]> => (from < to ? all(fromEvents, { orgId, from, to }) : just([]));
  const firstFullDay = since === undefined ? null : Math.ceil(since / DAY_MS) * DAY_MS;
  const fullDaysEnd = until === undefined ? null : Math.floor(until / DAY_MS) * DAY_MS;
  if (firstFullDay !== null && fullDaysEnd !== null && firstFullDay >= fullDaysEnd) {
    add(rollup, yield* events(since!, until!));
    return rollup;
  }
  add(rollup, yield* all(fromDays, { orgId, from: firstFullDay, to: fullDaysEnd }));
  if (since !== undefined) add(rollup, yield* events(since, firstFullDay!));
  if (until !== undefined) add(rollup, yield* events(fullDaysEnd!, until));
  return rollup;
}

export function* featureTotals(orgId: string, since?: number, until?: number): Script<FeatureTotal[]> {
  const rollup = yield* rollupWindow({ orgId, ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) });
  return [...rollup]
    .map(([feature, modes]) => {
      const [hosted, selfHost] = [summed(modes.hosted), summed(modes.self_host)];
      return {
        feature,
        events: hosted.events + selfHost.events,
        costNanoUsd: hosted.cost + selfHost.cost,
        chargedMicroCredits: hosted.charged + selfHost.charged,
      };
    })
    .sort((a, b) => a.feature.localeCompare(b.feature));
}

export function* featureMargins(query: MarginQuery): Script<FeatureMargin[]> {
  const rollup = yield* rollupWindow(query);
  const open = yield* all(openByFeature, { orgId: query.orgId ?? null });
  const features = new Set<Feature>([...rollup.keys(), ...open.map((o) => o.feature)]);
  return [...features]
    .sort((a, b) => a.localeCompare(b))
    .map((feature) => {
      const modes = rollup.get(feature) ?? { hosted: new Map<string, Totals>(), self_host: new Map<string, Totals>() };
      const [hosted, selfHost] = [summed(modes.hosted), summed(modes.self_host)];
      const markups: MarkupMargin[] = [...modes.hosted.entries()]
        .sort(([a], [b]) => byValue(a, b))
        .map(([key, t]) => {
          const [markup = "", creditUsdValue = ""] = key.split("|");
          return {
            markup,
            creditUsdValue,
            calls: t.calls,
            events: t.events,
            costNanoUsd: t.cost,
            chargedMicroCredits: t.charged,
            belowMarkupEvents: t.belowMarkup,
          };
        });
      return {
        feature,
        calls: hosted.calls,
        events: hosted.events,
        costNanoUsd: hosted.cost,
        chargedMicroCredits: hosted.charged,
        estimatedEvents: hosted.estimated + selfHost.estimated,
        overHoldEvents: hosted.overHold + selfHost.overHold,
        belowMarkupEvents: hosted.belowMarkup,
        openCalls: open.find((o) => o.feature === feature)?.n ?? 0,
        selfHostEvents: selfHost.events,
        markups,
      };
    });
}

/**
 * Rebuilds the daily rollup from the events. For tools that write events in
 * bulk, such as the benchmark's seeding and `ledger copy`; paid calls keep
 * the rollup current themselves.
 */
export function* rebuildDailyRollup(): Script<void> {
  yield* run(clearRollup);
  yield* run(rebuildRollup);
  yield* run(clearModelRollup);
  yield* run(rebuildModelRollup);
  yield* run(clearConnectionRollup);
  yield* run(rebuildConnectionRollup);
}
