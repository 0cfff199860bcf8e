/**
 * A paid call's outcome as the ledger holds it, told the way the call itself
 * would have told it: its result with its metering block, or its error with
 * what it was charged. This is what an MCP task's result is, whichever
 * process ran the call and whenever the client asks.
 */
import { EcnError, isErrorCode } from "../errors.js";
import type { Ledger } from "../ledger/index.js";
import { withChargeNote } from "./refusals.js";
import { meteringBlock } from "./replay.js";
import type { MeteringBlock } from "./types.js";

export type StoredOutcome =
  /** The call is still open: running, or its cost is not confirmed yet. */
  { kind: "open" } | { kind: "result"; value: unknown; metering: MeteringBlock } | { kind: "error"; error: EcnError };

/** The call's outcome; null when there is no such call. `balance_credits` is the wallet's balance now. */
export async function storedOutcome(ledger: Ledger, callId: string, sandbox: boolean): Promise<StoredOutcome | null> {
  const call = await ledger.getCall(callId);
  if (!call) return null;
  if (call.state !== "settled" && call.state !== "voided") return { kind: "open" };
  const events = await ledger.usageEventsOfCall(call.id);
  if (call.state === "settled" && call.errorCode === null && call.resultJson !== null) {
    const metering = meteringBlock(call, events, await ledger.getWallet(call.orgId));
    return { kind: "result", value: JSON.parse(call.resultJson) as unknown, metering: sandbox ? { ...metering, sandbox: true } : metering };
  }
  const charged = events.reduce((sum, e) => sum + e.chargedMicroCredits, 0n);
  const code = call.errorCode !== null && isErrorCode(call.errorCode) ? call.errorCode : "provider_error";
  const error = new EcnError(code, call.errorMessage ?? `${call.feature} failed`);
  return { kind: "error", error: withChargeNote(error, charged, call) };
}
