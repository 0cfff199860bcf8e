/**
 * The organisations page: each organisation's wallet, spend today / 7 days /
 * 30 days, the days its credit lasts at the 7-day burn rate, and its budgets.
 */
import type { BudgetStanding, Ledger, OrgRecord } from "../ledger/index.js";
import { microToCredits, type Decimal } from "../money.js";
import { amount } from "./money-view.js";
import type { BudgetView, OrgSummary } from "./views.js";
import { dayOf } from "./period.js";

export function budgetView(s: BudgetStanding): BudgetView {
  const limit = s.budget.limitMicroCredits;
  return {
    id: s.budget.id,
    feature: s.budget.feature,
    period: s.budget.period,
    hard: s.budget.hard,
    limit_credits: microToCredits(limit),
    used_credits: microToCredits(s.usedMicroCredits),
    fill_pct: limit > 0n ? Number((s.usedMicroCredits * 1000n) / limit) / 10 : 0,
  };
}

/** Days of credit left: available / (7-day spend / 7), to one decimal, rounded down (never promise more). */
export function daysLeft(availableMicro: bigint, weekSpendMicro: bigint): number | null {
  if (weekSpendMicro <= 0n) return null;
  if (availableMicro <= 0n) return 0;
  return Number((availableMicro * 7n * 10n) / weekSpendMicro) / 10;
}

export async function orgSummaries(ledger: Ledger, orgs: OrgRecord[], creditUsdValue: Decimal, now: number): Promise<OrgSummary[]> {
  const spends = await ledger.spendByOrg(orgs.length === 1 ? orgs[0]!.id : null, dayOf(now));
  const spendOf = new Map(spends.map((s) => [s.orgId, s]));
  return Promise.all(
    orgs.map(async (org) => {
      const [wallet, standings] = await Promise.all([ledger.getWallet(org.id), ledger.budgetStandings(org.id, now)]);
      const spend = spendOf.get(org.id);
      const available = wallet.balanceMicroCredits - wallet.heldMicroCredits;
      const view = (micro: bigint) => amount(micro, creditUsdValue);
      return {
        id: org.id,
        name: org.name,
        balance: view(wallet.balanceMicroCredits),
        held: view(wallet.heldMicroCredits),
        available: view(available),
        spend_today: view(spend?.todayMicroCredits ?? 0n),
        spend_7d: view(spend?.week ?? 0n),
        spend_30d: view(spend?.month ?? 0n),
        days_left: daysLeft(available, spend?.week ?? 0n),
        budgets: standings.map(budgetView),
      };
    }),
  );
}
