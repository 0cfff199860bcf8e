/**
 * The life of a paid call in the SQLite ledger: hold, dispatch mark, provider
 * references, settle, void, unknown. Each write is synchronous and runs inside
 * a transaction owned by the caller (the group commit), so a check and the
 * change it guards are always one atomic step; each transition happens once
 * (a second settle or void finds the call terminal and changes nothing).
 */
import { LedgerRefusal } from "./errors.js";
import { failpoint } from "../failpoints.js";
import type { Feature } from "../features.js";
import { newId } from "../ids.js";
import { periodStart } from "./periods.js";
import { callFromRow, walletFromRow, type Statements } from "./statements.js";
import {
  OPEN_STATES,
  type BudgetRecord,
  type BudgetStanding,
  type CallResult,
  type HoldOutcome,
  type HoldRequest,
  type RateCardRecord,
  type ResolveOutcome,
  type SoftBudgetCrossing,
  type ToolCallRecord,
  type UsageEventInput,
  type WalletRecord,
} from "./store.js";
import { toBudgetRecord } from "./rows.js";

type Row = Record<string, unknown>;
const DAY_MS = 86_400_000;

export function getCall(st: Statements, callId: string): ToolCallRecord | null {
  const row = st.call.get(callId) as Row | undefined;
  return row ? callFromRow(row) : null;
}

export function getWallet(st: Statements, orgId: string): WalletRecord {
  const row = st.wallet.get(orgId) as Row | undefined;
  if (!row) throw new LedgerRefusal("not_found", `no organisation with id ${orgId}`);
  return walletFromRow(row);
}

export function getRateCard(st: Statements, feature: Feature): RateCardRecord {
  const row = st.rateCard.get(feature) as Row | undefined;
  if (!row) throw new LedgerRefusal("not_found", `no rate card for feature ${feature}`);
  return {
    feature: row.feature as Feature,
    provider: row.provider as RateCardRecord["provider"],
    model: (row.model as string | null) ?? null,
    maxTokens: row.max_tokens === null ? null : Number(row.max_tokens),
    floorMicroCredits: BigInt(row.floor_micro_credits as bigint),
    description: String(row.description),
    updatedAt: Number(row.updated_at),
  };
}

function budgetFromRow(row: Row): BudgetRecord {
  return toBudgetRecord({
    id: String(row.id),
    orgId: String(row.org_id),
    feature: (row.feature as string | null) ?? null,
    period: row.period as BudgetRecord["period"],
    limitMicroCredits: BigInt(row.limit_micro_credits as bigint),
    hard: Number(row.hard) === 1,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  });
}

/** Settled spend in the budget's period (from the daily rollup) plus every open hold it covers. */
export function budgetStanding(st: Statements, budget: BudgetRecord, now: number): BudgetStanding {
  const start = periodStart(budget.period, now);
  const settled = budget.feature
    ? (st.meteredSinceForFeature.get(budget.orgId, budget.feature, start) as { n: bigint })
    : (st.meteredSince.get(budget.orgId, start) as { n: bigint });
  const held = budget.feature
    ? (st.openHoldsForFeature.get(budget.orgId, budget.feature) as { n: bigint })
    : (st.openHolds.get(budget.orgId) as { n: bigint });
  return { budget, periodStart: start, usedMicroCredits: BigInt(settled.n) + BigInt(held.n) };
}

export function budgetsFor(st: Statements, orgId: string, feature: string | null): BudgetRecord[] {
  return (st.budgetsFor.all(orgId, feature) as Row[]).map(budgetFromRow);
}

/**
 * Preflight and hold in one step: idempotency, wallet available balance,
 * every hard budget, then the hold itself. Soft budgets crossed by this hold
 * are reported (and noted once per period).
 */
export function placeHold(st: Statements, request: HoldRequest): HoldOutcome {
  if (request.idempotencyKey !== null) {
    const existing = st.liveCallWithKey.get(request.orgId, request.idempotencyKey) as Row | undefined;
    if (existing) return { kind: "existing", call: callFromRow(existing) };
  }
  const wallet = getWallet(st, request.orgId);
  const available = wallet.balanceMicroCredits - wallet.heldMicroCredits;
  if (request.walletHoldMicroCredits > 0n && available < request.walletHoldMicroCredits) {
    return { kind: "insufficient_credits", availableMicroCredits: available, neededMicroCredits: request.walletHoldMicroCredits };
  }
  const softBudgetsCrossed: SoftBudgetCrossing[] = [];
  for (const budget of budgetsFor(st, request.orgId, request.feature)) {
    const standing = budgetStanding(st, budget, request.now);
    if (standing.usedMicroCredits + request.holdMicroCredits <= budget.limitMicroCredits) continue;
    if (budget.hard) return { kind: "budget_exceeded", standing, neededMicroCredits: request.holdMicroCredits };
    const noted = st.insertNotice.run(budget.id, standing.periodStart, request.now);
    softBudgetsCrossed.push({ ...standing, firstNotice: noted.changes > 0 });
  }
  const id = newId("tc");
  st.insertCall.run({ ...request, id });
  if (request.walletHoldMicroCredits > 0n) st.addHeld.run(request.walletHoldMicroCredits, request.now, request.orgId);
  const call: ToolCallRecord = {
    id,
    orgId: request.orgId,
    feature: request.feature,
    provider: request.provider,
    state: "held",
    deploymentMode: request.deploymentMode,
    holdMicroCredits: request.holdMicroCredits,
    walletHoldMicroCredits: request.walletHoldMicroCredits,
    idempotencyKey: request.idempotencyKey,
    requestHash: request.requestHash,
    markup: request.markup,
    creditUsdValue: request.creditUsdValue,
    providerRefs: [],
    resultJson: null,
    errorCode: null,
    errorMessage: null,
    createdAt: request.now,
    dispatchedAt: null,
    resolvedAt: null,
  };
  return {
    kind: "placed",
    call,
    wallet: { ...wallet, heldMicroCredits: wallet.heldMicroCredits + request.walletHoldMicroCredits },
    softBudgetsCrossed,
  };
}

/** held -> dispatched, just before the provider request leaves. */
export function markDispatched(st: Statements, callId: string, now: number): boolean {
  return st.markDispatched.run(now, callId).changes > 0;
}

/** Appends a provider reference the moment it is known (once, however often it is reported). */
export function addProviderRef(st: Statements, callId: string, ref: string): void {
  st.addProviderRef.run({ call: callId, ref });
}

/** held/dispatched -> unknown: the provider may have done (and billed) the work; the hold stays until reconciled. */
export function markUnknown(st: Statements, callId: string, errorCode: string, errorMessage: string): boolean {
  return st.markUnknown.run(errorCode, errorMessage, callId).changes > 0;
}

const flag = (value: boolean) => (value ? 1 : 0);

type Resolution = { state: "settled" | "voided"; resultJson: string | null; error: { code: string; message: string } | null };

/** Shared by settle and void: events in, rollup updated, hold released, spend written, state set. */
function resolveCall(st: Statements, callId: string, events: UsageEventInput[], resolution: Resolution, now: number): ResolveOutcome {
  const call = getCall(st, callId);
  if (!call) throw new Error(`no tool call ${callId}`);
  if (!OPEN_STATES.includes(call.state)) return { applied: false, call, wallet: getWallet(st, call.orgId) };
  const charged = events.reduce((sum, e) => sum + e.chargedMicroCredits, 0n);
  const metered = events.reduce((sum, e) => sum + e.meteredMicroCredits, 0n);
  const overHold = metered > call.holdMicroCredits;
  for (const event of events) {
    st.insertEvent.run({
      ...event,
      id: newId("ue"),
      toolCallId: call.id,
      orgId: call.orgId,
      feature: call.feature,
      overHold: flag(overHold),
      estimated: flag(event.estimated),
      priceUnknown: flag(event.priceUnknown),
      settledAt: now,
    });
  }
  if (events.length > 0) {
    st.addDaily.run({
      orgId: call.orgId,
      feature: call.feature,
      day: now - (now % DAY_MS),
      deploymentMode: call.deploymentMode,
      events: events.length,
      cost: events.reduce((sum, e) => sum + e.costNanoUsd, 0n),
      charged,
      metered,
      estimated: events.filter((e) => e.estimated).length,
      overHold: overHold ? events.length : 0,
    });
  }
  if (charged > 0n) st.insertSpend.run(newId("ctx"), call.orgId, -charged, call.id, call.feature, now);
  const wallet = walletFromRow(st.resolveWallet.get(charged, call.walletHoldMicroCredits, now, call.orgId) as Row);
  const errorCode = resolution.error?.code ?? call.errorCode;
  const errorMessage = resolution.error?.message ?? call.errorMessage;
  st.resolveCall.run(resolution.state, resolution.resultJson, errorCode, errorMessage, now, call.id);
  failpoint("inside_settle"); // a crash here must roll the whole resolution back
  return { applied: true, call: { ...call, state: resolution.state, resultJson: resolution.resultJson, errorCode, errorMessage, resolvedAt: now }, wallet };
}

export function settleCall(st: Statements, callId: string, events: UsageEventInput[], result: CallResult, now: number): ResolveOutcome {
  const resolution: Resolution =
    "resultJson" in result
      ? { state: "settled", resultJson: result.resultJson, error: null }
      : { state: "settled", resultJson: null, error: result.error };
  return resolveCall(st, callId, events, resolution, now);
}

export function voidCall(st: Statements, callId: string, events: UsageEventInput[], error: { code: string; message: string }, now: number) {
  if (events.some((e) => e.chargedMicroCredits !== 0n)) throw new Error("a voided call cannot carry a charge");
  return resolveCall(st, callId, events, { state: "voided", resultJson: null, error }, now);
}
