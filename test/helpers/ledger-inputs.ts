import type { HoldRequest, UsageEventInput } from "../../src/ledger/index.js";

/** A fixed clock for ledger tests: budgets and periods are computed from it. */
export const NOW = Date.UTC(2026, 10, 27, 12);

/** A hold for one profile_draft call at markup 1.25 and $0.01 a credit; `extra` overrides any field. */
export function holdRequest(orgId: string, micro = 1_000_000n, extra: Partial<HoldRequest> = {}): HoldRequest {
  return {
    orgId,
    feature: "profile_draft",
    provider: "openrouter",
    deploymentMode: "hosted",
    holdMicroCredits: micro,
    walletHoldMicroCredits: micro,
    idempotencyKey: null,
    requestHash: "h",
    markup: "1.25",
    creditUsdValue: "0.01",
    ownerInstanceId: null,
    connectionId: null,
    apiKeyId: null,
    now: NOW,
    ...extra,
  };
}

/**
 * One reported OpenRouter usage event charging `charged` micro-credits.
 * At markup 1.25 and $0.01 a credit, a micro-credit is 8 nano-USD of provider cost.
 */
export function usageEvent(charged: bigint, extra: Partial<UsageEventInput> = {}): UsageEventInput {
  return {
    provider: "openrouter",
    model: "openai/gpt-4o-mini",
    providerRequestId: "gen-1",
    outcome: "ok",
    promptTokens: 10,
    completionTokens: 20,
    totalTokens: 30,
    costNanoUsd: charged * 8n,
    costSource: "reported",
    markup: "1.25",
    creditUsdValue: "0.01",
    chargedMicroCredits: charged,
    meteredMicroCredits: charged,
    estimated: false,
    priceUnknown: false,
    createdAt: NOW,
    ...extra,
  };
}
