/** What a budget has used in its current period: settled spend plus open holds (SPEC section 6). */
import { and, eq, gte, inArray, isNull, or, sql, type SQL } from "drizzle-orm";
import type { Feature } from "../features.js";
import type { LedgerConn } from "./open.js";
import { periodStart } from "./periods.js";
import { toBudgetRecord } from "./rows.js";
import { budgets, toolCalls, usageEvents } from "./schema.js";
import { OPEN_STATES, type BudgetRecord, type BudgetStanding } from "./store.js";

const total = (column: SQL | typeof usageEvents.meteredMicroCredits | typeof toolCalls.holdMicroCredits) =>
  sql<bigint | number>`coalesce(sum(${column}), 0)`;

export function budgetStanding(db: LedgerConn, budget: BudgetRecord, now: number): BudgetStanding {
  const start = periodStart(budget.period, now);
  const settled = db
    .select({ amount: total(usageEvents.meteredMicroCredits) })
    .from(usageEvents)
    .where(
      and(
        eq(usageEvents.orgId, budget.orgId),
        budget.feature ? eq(usageEvents.feature, budget.feature) : undefined,
        gte(usageEvents.settledAt, start),
      ),
    )
    .get();
  const held = db
    .select({ amount: total(toolCalls.holdMicroCredits) })
    .from(toolCalls)
    .where(
      and(
        eq(toolCalls.orgId, budget.orgId),
        budget.feature ? eq(toolCalls.feature, budget.feature) : undefined,
        inArray(toolCalls.state, [...OPEN_STATES]),
      ),
    )
    .get();
  return {
    budget,
    periodStart: start,
    usedMicroCredits: BigInt(settled?.amount ?? 0) + BigInt(held?.amount ?? 0),
  };
}

/** Budgets that apply to a call of `feature` (all of them when feature is omitted). */
export function applicableBudgets(db: LedgerConn, orgId: string, feature?: Feature): BudgetRecord[] {
  const featureMatch = feature ? or(isNull(budgets.feature), eq(budgets.feature, feature)) : undefined;
  return db.select().from(budgets).where(and(eq(budgets.orgId, orgId), featureMatch)).all().map(toBudgetRecord);
}
