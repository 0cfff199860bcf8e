/**
 * Usage aggregates over a time window, read from the daily rollup for whole
 * UTC days and from the events themselves only for the partial days at the
 * window's edges. The cost depends on the number of days and features in the
 * window, not on how many events the ledger holds.
 */
import type Database from "better-sqlite3";
import type { DeploymentMode, Feature } from "../features.js";
import type { FeatureMargin, FeatureTotal, MarginQuery } from "./store.js";

const DAY_MS = 86_400_000;

interface Aggregate {
  calls: number;
  events: number;
  cost: bigint;
  charged: bigint;
  metered: bigint;
  estimated: number;
  overHold: number;
}

type Rollup = Map<Feature, Record<DeploymentMode, Aggregate>>;

const empty = (): Aggregate => ({ calls: 0, events: 0, cost: 0n, charged: 0n, metered: 0n, estimated: 0, overHold: 0 });

function add(rollup: Rollup, row: Record<string, unknown>): void {
  const feature = row.feature as Feature;
  const entry = rollup.get(feature) ?? { hosted: empty(), self_host: empty() };
  const into = entry[row.mode as DeploymentMode];
  into.calls += Number(row.calls);
  into.events += Number(row.events);
  into.cost += BigInt(row.cost as bigint);
  into.charged += BigInt(row.charged as bigint);
  into.metered += BigInt(row.metered as bigint);
  into.estimated += Number(row.estimated);
  into.overHold += Number(row.over_hold);
  rollup.set(feature, entry);
}

function filter(column: string, orgColumn: string, orgId: string | undefined, from: number | null, to: number | null) {
  const clauses: string[] = [];
  const params: (string | number)[] = [];
  if (orgId !== undefined) (clauses.push(`${orgColumn} = ?`), params.push(orgId));
  if (from !== null) (clauses.push(`${column} >= ?`), params.push(from));
  if (to !== null) (clauses.push(`${column} < ?`), params.push(to));
  return { where: clauses.length ? clauses.join(" AND ") : "1", params };
}

function fromDays(sqlite: Database.Database, rollup: Rollup, orgId: string | undefined, from: number | null, to: number | null) {
  const f = filter("day", "org_id", orgId, from, to);
  const rows = sqlite
    .prepare(
      `SELECT feature, deployment_mode AS mode, sum(calls) AS calls, sum(events) AS events, sum(cost_nano_usd) AS cost,
              sum(charged_micro_credits) AS charged, sum(metered_micro_credits) AS metered,
              sum(estimated_events) AS estimated, sum(over_hold_events) AS over_hold
         FROM usage_daily WHERE ${f.where} GROUP BY feature, deployment_mode`,
    )
    .safeIntegers(true)
    .all(...f.params) as Record<string, unknown>[];
  for (const row of rows) add(rollup, row);
}

function fromEvents(sqlite: Database.Database, rollup: Rollup, orgId: string | undefined, from: number, to: number) {
  if (from >= to) return;
  const f = filter("e.settled_at", "e.org_id", orgId, from, to);
  const rows = sqlite
    .prepare(
      `SELECT e.feature, c.deployment_mode AS mode, count(DISTINCT e.tool_call_id) AS calls, count(*) AS events,
              sum(e.cost_nano_usd) AS cost, sum(e.charged_micro_credits) AS charged, sum(e.metered_micro_credits) AS metered,
              sum(e.estimated) AS estimated, sum(e.over_hold) AS over_hold
         FROM usage_events e JOIN tool_calls c ON c.id = e.tool_call_id
        WHERE ${f.where} GROUP BY e.feature, c.deployment_mode`,
    )
    .safeIntegers(true)
    .all(...f.params) as Record<string, unknown>[];
  for (const row of rows) add(rollup, row);
}

/** Aggregates of events settled in [since, until), per feature and deployment mode. */
export function rollupWindow(sqlite: Database.Database, query: MarginQuery): Rollup {
  const rollup: Rollup = new Map();
  const { since, until, orgId } = query;
  const firstFullDay = since === undefined ? null : Math.ceil(since / DAY_MS) * DAY_MS;
  const fullDaysEnd = until === undefined ? null : Math.floor(until / DAY_MS) * DAY_MS;
  if (firstFullDay !== null && fullDaysEnd !== null && firstFullDay >= fullDaysEnd) {
    fromEvents(sqlite, rollup, orgId, since!, until!);
    return rollup;
  }
  fromDays(sqlite, rollup, orgId, firstFullDay, fullDaysEnd);
  if (since !== undefined) fromEvents(sqlite, rollup, orgId, since, firstFullDay!);
  if (until !== undefined) fromEvents(sqlite, rollup, orgId, fullDaysEnd!, until);
  return rollup;
}

export function featureTotals(sqlite: Database.Database, orgId: string, since?: number, until?: number): FeatureTotal[] {
  const rollup = rollupWindow(sqlite, { orgId, ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) });
  return [...rollup]
    .map(([feature, { hosted, self_host }]) => ({
      feature,
      events: hosted.events + self_host.events,
      costNanoUsd: hosted.cost + self_host.cost,
      chargedMicroCredits: hosted.charged + self_host.charged,
    }))
    .sort((a, b) => a.feature.localeCompare(b.feature));
}

export function featureMargins(sqlite: Database.Database, query: MarginQuery): FeatureMargin[] {
  const rollup = rollupWindow(sqlite, query);
  const open = sqlite
    .prepare(
      `SELECT feature, count(*) AS n FROM tool_calls WHERE state IN ('held', 'dispatched', 'unknown')
         ${query.orgId !== undefined ? "AND org_id = ?" : ""} GROUP BY feature`,
    )
    .all(...(query.orgId !== undefined ? [query.orgId] : [])) as { feature: Feature; n: number | bigint }[];
  const features = new Set<Feature>([...rollup.keys(), ...open.map((o) => o.feature)]);
  return [...features]
    .sort((a, b) => a.localeCompare(b))
    .map((feature) => {
      const { hosted, self_host } = rollup.get(feature) ?? { hosted: empty(), self_host: empty() };
      return {
        feature,
        calls: hosted.calls,
        events: hosted.events,
        costNanoUsd: hosted.cost,
        chargedMicroCredits: hosted.charged,
        estimatedEvents: hosted.estimated + self_host.estimated,
        overHoldEvents: hosted.overHold + self_host.overHold,
        openCalls: Number(open.find((o) => o.feature === feature)?.n ?? 0),
        selfHostEvents: self_host.events,
      };
    });
}

/**
 * Rebuilds the daily rollup from the events (what migration 0005 does for
 * ledgers older than the rollup). For tools that write events in bulk, such
 * as the benchmark's seeding; paid calls keep the rollup current themselves.
 */
export function rebuildDailyRollup(sqlite: Database.Database): void {
  sqlite.transaction(() => {
    sqlite.exec("DELETE FROM usage_daily");
    sqlite.exec(`INSERT INTO usage_daily (org_id, feature, day, deployment_mode, calls, events, cost_nano_usd, charged_micro_credits,
                   metered_micro_credits, estimated_events, over_hold_events)
                 SELECT e.org_id, e.feature, e.settled_at - (e.settled_at % ${DAY_MS}), c.deployment_mode, count(DISTINCT e.tool_call_id),
                        count(*), sum(e.cost_nano_usd), sum(e.charged_micro_credits), sum(e.metered_micro_credits), sum(e.estimated),
                        sum(e.over_hold)
                   FROM usage_events e JOIN tool_calls c ON c.id = e.tool_call_id GROUP BY 1, 2, 3, 4`);
  }).immediate();
}
