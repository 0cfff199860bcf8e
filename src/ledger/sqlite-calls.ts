/**
 * The life of a paid call in the SQLite ledger: hold, dispatch mark, provider
 * references, settle, void, unknown. Each check-then-change is one immediate
 * transaction; each transition happens once (a second settle or void finds
 * the call terminal and changes nothing).
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import { failpoint } from "../failpoints.js";
import { newId } from "../ids.js";
import { applicableBudgets, budgetStanding } from "./budget-usage.js";
import type { LedgerConn, LedgerDb } from "./open.js";
import { toCallRecord } from "./rows.js";
import { budgetNotices, creditTransactions, toolCalls, usageEvents, wallets } from "./schema.js";
import { getWallet } from "./sqlite-admin.js";
import {
  OPEN_STATES,
  type CallResult,
  type HoldOutcome,
  type HoldRequest,
  type ResolveOutcome,
  type SoftBudgetCrossing,
  type ToolCallRecord,
  type UsageEventInput,
} from "./store.js";

export function getCall(db: LedgerConn, callId: string): ToolCallRecord | null {
  const row = db.select().from(toolCalls).where(eq(toolCalls.id, callId)).get();
  return row ? toCallRecord(row) : null;
}

function liveCallWithKey(db: LedgerConn, orgId: string, key: string): ToolCallRecord | null {
  const row = db
    .select()
    .from(toolCalls)
    .where(and(eq(toolCalls.orgId, orgId), eq(toolCalls.idempotencyKey, key), sql`${toolCalls.state} <> 'voided'`))
    .get();
  return row ? toCallRecord(row) : null;
}

/**
 * Preflight and hold in one immediate transaction: idempotency, wallet
 * available balance, every hard budget, then the hold itself. Soft budgets
 * crossed by this hold are reported (and noted once per period).
 */
export function placeHold(db: LedgerDb, request: HoldRequest): HoldOutcome {
  return db.transaction(
    (tx): HoldOutcome => {
      if (request.idempotencyKey !== null) {
        const existing = liveCallWithKey(tx, request.orgId, request.idempotencyKey);
        if (existing) return { kind: "existing", call: existing };
      }
      const wallet = getWallet(tx, request.orgId);
      const available = wallet.balanceMicroCredits - wallet.heldMicroCredits;
      if (request.walletHoldMicroCredits > 0n && available < request.walletHoldMicroCredits) {
        return {
          kind: "insufficient_credits",
          availableMicroCredits: available,
          neededMicroCredits: request.walletHoldMicroCredits,
        };
      }
      const softBudgetsCrossed: SoftBudgetCrossing[] = [];
      for (const budget of applicableBudgets(tx, request.orgId, request.feature)) {
        const standing = budgetStanding(tx, budget, request.now);
        if (standing.usedMicroCredits + request.holdMicroCredits <= budget.limitMicroCredits) continue;
        if (budget.hard) return { kind: "budget_exceeded", standing, neededMicroCredits: request.holdMicroCredits };
        const noted = tx
          .insert(budgetNotices)
          .values({ budgetId: budget.id, periodStart: standing.periodStart, createdAt: request.now })
          .onConflictDoNothing()
          .run();
        softBudgetsCrossed.push({ ...standing, firstNotice: noted.changes > 0 });
      }
      const row = {
        id: newId("tc"),
        orgId: request.orgId,
        feature: request.feature,
        provider: request.provider,
        state: "held" as const,
        deploymentMode: request.deploymentMode,
        holdMicroCredits: request.holdMicroCredits,
        walletHoldMicroCredits: request.walletHoldMicroCredits,
        idempotencyKey: request.idempotencyKey,
        requestHash: request.requestHash,
        markup: request.markup,
        creditUsdValue: request.creditUsdValue,
        providerRefs: "[]",
        resultJson: null,
        errorCode: null,
        errorMessage: null,
        createdAt: request.now,
        dispatchedAt: null,
        resolvedAt: null,
      };
      tx.insert(toolCalls).values(row).run();
      if (request.walletHoldMicroCredits > 0n) {
        tx.update(wallets)
          .set({
            heldMicroCredits: sql`${wallets.heldMicroCredits} + ${request.walletHoldMicroCredits}`,
            updatedAt: request.now,
          })
          .where(eq(wallets.orgId, request.orgId))
          .run();
      }
      return {
        kind: "placed",
        call: toCallRecord(row),
        wallet: { ...wallet, heldMicroCredits: wallet.heldMicroCredits + request.walletHoldMicroCredits },
        softBudgetsCrossed,
      };
    },
    { behavior: "immediate" },
  );
}

/** held -> dispatched, just before the provider request leaves. */
export function markDispatched(db: LedgerDb, callId: string, now: number): boolean {
  const result = db
    .update(toolCalls)
    .set({ state: "dispatched", dispatchedAt: now })
    .where(and(eq(toolCalls.id, callId), eq(toolCalls.state, "held")))
    .run();
  return result.changes > 0;
}

/** Appends a provider reference the moment it is known (one atomic statement). */
export function addProviderRef(db: LedgerDb, callId: string, ref: string): void {
  db.update(toolCalls)
    .set({ providerRefs: sql`json_insert(${toolCalls.providerRefs}, '$[#]', ${ref})` })
    .where(and(eq(toolCalls.id, callId), sql`NOT EXISTS (SELECT 1 FROM json_each(${toolCalls.providerRefs}) WHERE value = ${ref})`))
    .run();
}

/** dispatched -> unknown: the provider may have done (and billed) the work; the hold stays until reconciled. */
export function markUnknown(db: LedgerDb, callId: string, errorCode: string, errorMessage: string): boolean {
  const result = db
    .update(toolCalls)
    .set({ state: "unknown", errorCode, errorMessage })
    .where(and(eq(toolCalls.id, callId), inArray(toolCalls.state, ["held", "dispatched"])))
    .run();
  return result.changes > 0;
}

function insertEvents(tx: LedgerConn, call: ToolCallRecord, events: UsageEventInput[], overHold: boolean, now: number) {
  if (events.length === 0) return;
  tx.insert(usageEvents)
    .values(
      events.map((event) => ({
        ...event,
        id: newId("ue"),
        toolCallId: call.id,
        orgId: call.orgId,
        feature: call.feature,
        overHold,
        settledAt: now,
      })),
    )
    .run();
}

type Resolution = { state: "settled" | "voided"; resultJson: string | null; error: { code: string; message: string } | null };

/** Shared by settle and void: events in, hold released, spend written, state set, all at once. */
function resolveCall(db: LedgerDb, callId: string, events: UsageEventInput[], resolution: Resolution, now: number): ResolveOutcome {
  return db.transaction(
    (tx): ResolveOutcome => {
      const call = getCall(tx, callId);
      if (!call) throw new Error(`no tool call ${callId}`);
      if (!OPEN_STATES.includes(call.state)) return { applied: false, call, wallet: getWallet(tx, call.orgId) };
      const charged = events.reduce((sum, e) => sum + e.chargedMicroCredits, 0n);
      const metered = events.reduce((sum, e) => sum + e.meteredMicroCredits, 0n);
      insertEvents(tx, call, events, metered > call.holdMicroCredits, now);
      if (charged > 0n) {
        tx.insert(creditTransactions)
          .values({
            id: newId("ctx"),
            orgId: call.orgId,
            kind: "spend",
            amountMicroCredits: -charged,
            toolCallId: call.id,
            note: call.feature,
            createdAt: now,
          })
          .run();
      }
      tx.update(wallets)
        .set({
          balanceMicroCredits: sql`${wallets.balanceMicroCredits} - ${charged}`,
          heldMicroCredits: sql`${wallets.heldMicroCredits} - ${call.walletHoldMicroCredits}`,
          updatedAt: now,
        })
        .where(eq(wallets.orgId, call.orgId))
        .run();
      const changes = {
        state: resolution.state,
        resultJson: resolution.resultJson,
        errorCode: resolution.error?.code ?? call.errorCode,
        errorMessage: resolution.error?.message ?? call.errorMessage,
        resolvedAt: now,
      };
      tx.update(toolCalls).set(changes).where(eq(toolCalls.id, call.id)).run();
      failpoint("inside_settle"); // a crash here must roll the whole resolution back
      return { applied: true, call: { ...call, ...changes }, wallet: getWallet(tx, call.orgId) };
    },
    { behavior: "immediate" },
  );
}

export function settleCall(db: LedgerDb, callId: string, events: UsageEventInput[], result: CallResult, now: number) {
  const resolution: Resolution =
    "resultJson" in result
      ? { state: "settled", resultJson: result.resultJson, error: null }
      : { state: "settled", resultJson: null, error: result.error };
  return resolveCall(db, callId, events, resolution, now);
}

export function voidCall(
  db: LedgerDb,
  callId: string,
  events: UsageEventInput[],
  error: { code: string; message: string },
  now: number,
) {
  if (events.some((e) => e.chargedMicroCredits !== 0n)) throw new Error("a voided call cannot carry a charge");
  return resolveCall(db, callId, events, { state: "voided", resultJson: null, error }, now);
}

export function openCalls(db: LedgerConn): ToolCallRecord[] {
  return db
    .select()
    .from(toolCalls)
    .where(inArray(toolCalls.state, [...OPEN_STATES]))
    .all()
    .map(toCallRecord);
}
