/** Helpers for answering from an earlier call: waiting for it, and its metering block. */
import type { Ledger, ToolCallRecord, UsageEventInput, WalletRecord } from "../ledger/index.js";
import { microToCredits, nanoToUsd } from "../money.js";
import type { MeteringBlock } from "./types.js";

const POLL_MS = 50;

/** Waits until a call leaves held/dispatched (another process may be running it), or the wait runs out. */
export async function waitForResolution(
  ledger: Ledger,
  callId: string,
  maxWaitMs: number,
  signal?: AbortSignal,
): Promise<ToolCallRecord> {
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

