/**
 * One organisation's page: spend per day per feature, balance at the end of
 * each day, spend by model and by actor, refusals per day, recent calls,
 * budgets and the MCP tasks still running. Provider cost is the operator's business: a tenant sees what it
 * was charged, not what the call cost us.
 */
import type { Ledger, OrgRecord } from "../ledger/index.js";
import { nanoToUsd, type Decimal } from "../money.js";
import { taskStatusMessage } from "../tasks/view.js";
import { amount } from "./money-view.js";
import { orgSummaries } from "./organisations.js";
import type { OrgDetail } from "./views.js";
import { dayOf, daysOf, dayText, type Period } from "./period.js";

const RECENT_CALLS = 25;
const OPEN_TASKS = 25;

export async function orgDetail(ledger: Ledger, org: OrgRecord, period: Period, creditUsdValue: Decimal, operator: boolean, now: number): Promise<OrgDetail> {
  const window = { orgId: org.id, fromDay: period.fromDay, toDay: period.toDay };
  const [[summary], featureDays, models, refusals, calls, moves, tasks] = await Promise.all([
    orgSummaries(ledger, [org], creditUsdValue, now),
    ledger.spendByFeatureDay(window),
    ledger.spendByModel(window),
    ledger.refusalsByDay(window),
    ledger.callsOfOrg(org.id, RECENT_CALLS),
    ledger.balanceMoves(org.id, period.fromDay),
    ledger.listTasks({ orgId: org.id, now, limit: OPEN_TASKS, openOnly: true }),
  ]);
  const days = daysOf(period);
  const index = new Map(days.map((d, i) => [d, i]));
  const view = (micro: bigint) => amount(micro, creditUsdValue);

  const features = new Map<string, bigint[]>();
  let charged = 0n;
  let cost = 0n;
  let callCount = 0;
  for (const row of featureDays) {
    const series = features.get(row.feature) ?? days.map(() => 0n);
    series[index.get(row.day)!] = (series[index.get(row.day)!] ?? 0n) + row.chargedMicroCredits;
    features.set(row.feature, series);
    charged += row.chargedMicroCredits;
    cost += row.costNanoUsd;
    callCount += row.calls;
  }

  const codes = new Map<string, number[]>();
  for (const row of refusals) {
    const counts = codes.get(row.code) ?? days.map(() => 0);
    counts[index.get(row.day)!]! += row.refusals;
    codes.set(row.code, counts);
  }

  return {
    summary: summary!,
    period: { name: period.name, from: dayText(period.fromDay), to: dayText(period.toDay - 86_400_000), days: days.map(dayText) },
    total: { ...view(charged), calls: callCount, ...(operator ? { cost_usd: nanoToUsd(cost) } : {}) },
    spend_by_feature: [...features]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([feature, series]) => ({
        feature,
        credits: series.map((m) => view(m).credits),
        usd: series.map((m) => view(m).usd),
      })),
    balance: endOfDayBalances(days, moves, (await ledger.getWallet(org.id)).balanceMicroCredits, now).map((m) => view(m).credits),
    spend_by_model: models.map((m) => ({
      provider: m.provider,
      model: m.model,
      events: m.events,
      spend: view(m.chargedMicroCredits),
      ...(operator ? { cost_usd: nanoToUsd(m.costNanoUsd) } : {}),
    })),
    refusals: [...codes].map(([code, counts]) => ({ code, counts })),
    recent_calls: calls.map((c) => ({
      id: c.id,
      feature: c.feature,
      state: c.state,
      created_at: new Date(c.createdAt).toISOString(),
      hold_credits: view(c.holdMicroCredits).credits,
      charged_credits: view(c.chargedMicroCredits).credits,
      ...(operator ? { cost_usd: nanoToUsd(c.costNanoUsd) } : {}),
      error_code: c.errorCode,
    })),
    budgets: summary!.budgets,
    open_tasks: tasks.map((t) => ({
      id: t.id,
      tool: t.tool,
      status: t.state,
      status_message: taskStatusMessage(t) ?? null,
      tool_call_id: t.toolCallId,
      created_at: new Date(t.createdAt).toISOString(),
    })),
  };
}

/**
 * Walks the balance back from today's: the balance at the end of a day is
 * today's minus every movement after that day. Days after today (a custom
 * period reaching into the future) show today's balance.
 */
export function endOfDayBalances(
  days: number[],
  moves: { day: number; otherMicroCredits: bigint; spentMicroCredits: bigint }[],
  balanceNow: bigint,
  now: number,
): bigint[] {
  const today = dayOf(now);
  return days.map((day) => {
    if (day >= today) return balanceNow;
    const after = moves.filter((m) => m.day > day).reduce((sum, m) => sum + m.otherMicroCredits - m.spentMicroCredits, 0n);
    return balanceNow - after;
  });
}
