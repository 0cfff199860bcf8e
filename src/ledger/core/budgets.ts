/** Budgets and what each has used in its current period, once for both stores. */
import { periodStart } from "../periods.js";
import { toBudget } from "../rows.js";
import { getQuery, together, type Query, type Results, type Script } from "../script.js";
import { asBigInt, p, statement, type Row } from "../sql.js";
import { OPEN_STATE_SQL, type BudgetRecord, type BudgetStanding } from "../types.js";

const OPEN = OPEN_STATE_SQL;

/**
 * The budgets a call of `@feature` counts against for `@orgId`: the feature's own and the
 * organisation-wide ones (a hold checks all of them, or claims at once where there are none).
 */
export const COVERING_BUDGETS = "FROM budgets WHERE org_id = @orgId AND (feature IS NULL OR feature = @feature)";
export const budgetsFor = statement("budgets_for", `SELECT * ${COVERING_BUDGETS}`, { orgId: p.text, feature: p.text }, toBudget);

const sum = (row: Row) => asBigInt(row.n);
const meteredSince = statement(
  "metered_since",
  "SELECT coalesce(sum(metered_micro_credits), 0) AS n FROM usage_daily WHERE org_id = @orgId AND day >= @since",
  { orgId: p.text, since: p.int },
  sum,
);
const meteredSinceForFeature = statement(
  "metered_since_for_feature",
  "SELECT coalesce(sum(metered_micro_credits), 0) AS n FROM usage_daily WHERE org_id = @orgId AND feature = @feature AND day >= @since",
  { orgId: p.text, feature: p.text, since: p.int },
  sum,
);
/**
 * The open holds of an organisation, read from the partial index of open calls. SQLite's planner has no
 * statistics to tell that index (a handful of rows) from tool_calls (org_id, created_at) (every call the
 * organisation ever made), and picked the latter: a paid call then scanned the whole history (194 ms at
 * 1M calls). So SQLite is told which index to use; PostgreSQL's planner knows from its statistics.
 */
const openHoldsSql = <const W extends string>(where: W) =>
  ({
    sqlite: `SELECT coalesce(sum(hold_micro_credits), 0) AS n FROM tool_calls INDEXED BY tool_calls_open_idx WHERE ${where} AND ${OPEN}`,
    postgres: `SELECT coalesce(sum(hold_micro_credits), 0) AS n FROM tool_calls WHERE ${where} AND ${OPEN}`,
  }) as const;
export const openHolds = statement("open_holds", openHoldsSql("org_id = @orgId"), { orgId: p.text }, sum);
export const openHoldsForFeature = statement(
  "open_holds_for_feature",
  openHoldsSql("org_id = @orgId AND feature = @feature"),
  { orgId: p.text, feature: p.text },
  sum,
);

/** A connection's cap counts its own settled spend of the day (its rollup row) and its own open holds. */
const connectionMeteredSince = statement(
  "connection_metered_since",
  "SELECT coalesce(sum(metered_micro_credits), 0) AS n FROM connection_daily WHERE connection_id = @connectionId AND day >= @since",
  { connectionId: p.text, since: p.int },
  sum,
);
const connectionOpenHolds = statement(
  "connection_open_holds",
  {
    sqlite: `SELECT coalesce(sum(hold_micro_credits), 0) AS n FROM tool_calls INDEXED BY tool_calls_open_connection_idx
              WHERE connection_id IS NOT NULL AND connection_id = @connectionId AND ${OPEN}`,
    postgres: `SELECT coalesce(sum(hold_micro_credits), 0) AS n FROM tool_calls WHERE connection_id IS NOT NULL AND connection_id = @connectionId AND ${OPEN}`,
  },
  { connectionId: p.text },
  sum,
);

/** The two sums a budget's standing needs: settled spend in its period (from the daily rollup) and the open holds it covers. */
function standingQueries(budget: BudgetRecord, now: number): [Query<bigint | undefined>, Query<bigint | undefined>] {
  const since = periodStart(budget.period, now);
  if (budget.connectionId) {
    const connectionId = budget.connectionId;
    return [getQuery(connectionMeteredSince, { connectionId, since }), getQuery(connectionOpenHolds, { connectionId })];
  }
  const scope = { orgId: budget.orgId };
  return budget.feature
    ? [getQuery(meteredSinceForFeature, { ...scope, feature: budget.feature, since }), getQuery(openHoldsForFeature, { ...scope, feature: budget.feature })]
    : [getQuery(meteredSince, { ...scope, since }), getQuery(openHolds, scope)];
}

/** Where each budget stands now (settled spend plus open holds), every sum in one batch. */
export function* budgetStandings(budgets: BudgetRecord[], now: number): Script<BudgetStanding[]> {
  return (yield* standingsAfter([] as const, budgets, now))[1];
}

/** `first` and then every budget's standing, in one batch: the sums see whatever `first` did (a row lock taken). */
export function* standingsAfter<const Q extends readonly Query[]>(first: Q, budgets: BudgetRecord[], now: number): Script<[Results<Q>, BudgetStanding[]]> {
  const results = (yield* together(...first, ...budgets.flatMap((budget) => standingQueries(budget, now)))) as unknown[];
  const sums = results.slice(first.length) as (bigint | undefined)[];
  const standings = budgets.map((budget, i) => ({
    budget,
    periodStart: periodStart(budget.period, now),
    usedMicroCredits: (sums[2 * i] ?? 0n) + (sums[2 * i + 1] ?? 0n),
  }));
  return [results.slice(0, first.length) as Results<Q>, standings];
}
