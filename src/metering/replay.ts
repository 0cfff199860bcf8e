/** Answering from an earlier call with the same idempotency key. */
import { EcnError } from "../errors.js";
import type { Ledger, ToolCallRecord, UsageEventInput, WalletRecord } from "../ledger/index.js";
import { microToCredits, nanoToUsd } from "../money.js";
import type { MeteringBlock, PaidCallRequest, PaidCallResult } from "./types.js";

const POLL_MS = 50;

/** Waits until a call leaves held/dispatched (another process may be running it), or the wait runs out. */
export async function waitForResolution(ledger: Ledger, callId: string, maxWaitMs: number, signal?: AbortSignal): Promise<ToolCallRecord> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const call = await ledger.getCall(callId);
    if (!call) throw new Error(`tool call ${callId} vanished`);
    const running = call.state === "held" || call.state === "dispatched";
    if (!running || Date.now() >= deadline || signal?.aborted) return call;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export function meteringBlock(
  call: ToolCallRecord,
  events: Pick<UsageEventInput, "costNanoUsd" | "chargedMicroCredits">[],
  wallet: WalletRecord,
): MeteringBlock {
  const cost = events.reduce((sum, e) => sum + e.costNanoUsd, 0n);
  const charged = events.reduce((sum, e) => sum + e.chargedMicroCredits, 0n);
  return {
    tool_call_id: call.id,
    feature: call.feature,
    provider: call.provider,
    cost_usd: nanoToUsd(cost),
    credits_charged: microToCredits(charged),
    balance_credits: microToCredits(wallet.balanceMicroCredits),
  };
}

/**
 * The metering block of a call whose provider work was done but whose charge
 * waits in the server's outcome spool: the charge as computed, flagged
 * pending, and the balance as of the hold less this charge (the wallet cannot
 * be read either).
 */
export function pendingMeteringBlock(
  call: ToolCallRecord,
  events: Pick<UsageEventInput, "costNanoUsd" | "chargedMicroCredits">[],
  walletAtHold: WalletRecord,
): MeteringBlock {
  const charged = events.reduce((sum, e) => sum + e.chargedMicroCredits, 0n);
  const block = meteringBlock(call, events, { ...walletAtHold, balanceMicroCredits: walletAtHold.balanceMicroCredits - charged });
  return {
    ...block,
    charge_pending: true,
    note: `The ledger cannot be written right now: this charge is kept in the server's outcome spool and recorded once the ledger is back (call ${call.id}).`,
  };
}

/**
 * Same organisation and key: replay the first result (waiting for it if it
 * is still running), repeat its error, or refuse when the arguments differ.
 * A key whose first call was voided is free again: `rerun` runs anew.
 */
export async function replayExisting<T>(
  ledger: Ledger,
  existing: ToolCallRecord,
  request: PaidCallRequest,
  fingerprint: string,
  maxWaitMs: number,
  rerun: (() => Promise<PaidCallResult<T>>) | null,
): Promise<PaidCallResult<T>> {
  const key = request.idempotencyKey;
  if (existing.requestHash !== fingerprint) {
    throw new EcnError(
      "idempotency_conflict",
      `idempotency_key "${key}" was already used with different arguments (call ${existing.id}). Use a new key for a new request.`,
    );
  }
  // A task binds to the earlier call and follows it there: nothing to wait for here.
  const call = await waitForResolution(ledger, existing.id, request.onCall ? 0 : maxWaitMs, request.signal);
  if (call.state === "voided" && rerun) return rerun();
  await request.onCall?.(call);
  if (call.state === "settled") {
    if (call.errorCode || call.resultJson === null) {
      throw new EcnError((call.errorCode ?? "provider_error") as EcnError["code"], call.errorMessage ?? "the earlier call with this key failed");
    }
    const events = await ledger.usageEventsOfCall(call.id);
    const wallet = await ledger.getWallet(call.orgId);
    return { value: JSON.parse(call.resultJson) as T, metering: meteringBlock(call, events, wallet), replayed: true };
  }
  throw new EcnError(
    "idempotency_conflict",
    call.state === "unknown"
      ? `the earlier call with idempotency_key "${key}" (${call.id}) has an unknown outcome; it will be settled by \`ecn-mcp reconcile\`. Do not retry with this key.`
      : `the earlier call with idempotency_key "${key}" (${call.id}) is still running; retry later for its result.`,
  );
}
