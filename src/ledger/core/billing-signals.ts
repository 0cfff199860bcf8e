/**
 * The signals a paid call leaves for the billing processor, written in the
 * call's own transaction and flight: a settle (or a clawback) that takes the
 * balance under the wallet's watch level, and a hold that takes a budget to
 * 80% or 100% of its limit. Each is keyed so that it is recorded once,
 * however many calls cross at the same moment; the processor turns it into
 * alerts and recharges afterwards (see billing-packs.ts, billing-watch.ts).
 */
import { runQuery, type Query } from "../script.js";
import { p, statement } from "../sql.js";
import type { BudgetStanding, HoldRequest } from "../types.js";

/**
 * The balance's crossing of its watch level, once per watch epoch. A wallet
 * nothing watches (watch level NULL) inserts nothing.
 */
export const signalBalance = statement(
  "signal_balance",
  `INSERT INTO billing_signals (org_id, key, kind, data_json, created_at)
   SELECT org_id, 'balance:' || watch_epoch, 'balance', '{}', CAST(@now AS BIGINT) FROM wallets
   WHERE org_id = @orgId AND balance_micro_credits < watch_below_micro_credits
   ON CONFLICT DO NOTHING`,
  { now: p.int, orgId: p.text },
);

/** A budget passing 80% or 100% of its limit this period: recorded once, for the billing processor's budget.threshold alert. */
const signalBudget = statement(
  "signal_budget",
  `INSERT INTO billing_signals (org_id, key, kind, data_json, created_at) VALUES (@orgId, @key, 'budget', @data, @now)
   ON CONFLICT DO NOTHING`,
  { orgId: p.text, key: p.text, data: p.text, now: p.int },
);

/** The alert levels of every budget, in percent of its limit. */
const BUDGET_ALERT_PCTS = [80n, 100n];

/**
 * Signals for the alert levels this hold takes a budget to or past (the
 * first one written wins; the rest change nothing). A connection's daily cap
 * is checked like a hard budget but is no budget of the organisation's: it
 * signals nothing.
 */
export function budgetSignals(request: HoldRequest, standings: BudgetStanding[]): Query[] {
  const queries: Query[] = [];
  for (const standing of standings) {
    const { budget } = standing;
    if (budget.connectionId) continue;
    const after = standing.usedMicroCredits + request.holdMicroCredits;
    for (const pct of BUDGET_ALERT_PCTS) {
      if (after * 100n < budget.limitMicroCredits * pct) continue;
      const data = {
        budget_id: budget.id,
        feature: budget.feature,
        period: budget.period,
        hard: budget.hard,
        percent: Number(pct),
        period_start: standing.periodStart,
        used_micro_credits: after.toString(),
        limit_micro_credits: budget.limitMicroCredits.toString(),
      };
      const key = `budget:${budget.id}:${standing.periodStart}:${pct}`;
      queries.push(runQuery(signalBudget, { orgId: request.orgId, key, data: JSON.stringify(data), now: request.now }));
    }
  }
  return queries;
}
