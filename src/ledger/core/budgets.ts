/** Budgets and what each has used in its current period, once for both stores. */
import { periodStart } from "../periods.js";
import { toBudget } from "../rows.js";
import { get, type Script } from "../script.js";
import { asBigInt, statement } from "../sql.js";
import { OPEN_STATE_SQL, type BudgetRecord, type BudgetStanding } from "../store.js";

const OPEN = OPEN_STATE_SQL;

/** The organisation's budgets that cover a feature: its own and the organisation-wide ones. */
export const budgetsFor = statement("budgets_for", "SELECT * FROM budgets WHERE org_id = @orgId AND (feature IS NULL OR feature = @feature)", toBudget);

const sum = (row: Record<string, unknown>) => asBigInt(row.n);
const meteredSince = statement("metered_since", "SELECT coalesce(sum(metered_micro_credits), 0) AS n FROM usage_daily WHERE org_id = @orgId AND day >= @since", sum);
const meteredSinceForFeature = statement(
  "metered_since_for_feature",
  "SELECT coalesce(sum(metered_micro_credits), 0) AS n FROM usage_daily WHERE org_id = @orgId AND feature = @feature AND day >= @since",
  sum,
);
const openHolds = statement("open_holds", `SELECT coalesce(sum(hold_micro_credits), 0) AS n FROM tool_calls WHERE org_id = @orgId AND ${OPEN}`, sum);
const openHoldsForFeature = statement(
  "open_holds_for_feature",
  `SELECT coalesce(sum(hold_micro_credits), 0) AS n FROM tool_calls WHERE org_id = @orgId AND feature = @feature AND ${OPEN}`,
  sum,
);

/** Settled spend in the budget's period (from the daily rollup) plus every open hold it covers. */
export function* budgetStanding(budget: BudgetRecord, now: number): Script<BudgetStanding> {
  const since = periodStart(budget.period, now);
  const scope = { orgId: budget.orgId };
  const settled = budget.feature
    ? yield* get(meteredSinceForFeature, { ...scope, feature: budget.feature, since })
    : yield* get(meteredSince, { ...scope, since });
  const held = budget.feature ? yield* get(openHoldsForFeature, { ...scope, feature: budget.feature }) : yield* get(openHolds, scope);
  return { budget, periodStart: since, usedMicroCredits: (settled ?? 0n) + (held ?? 0n) };
}

