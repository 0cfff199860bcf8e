/**
 * Preflight: place the hold in one ledger transaction, or refuse before any
 * provider request. For LLM calls whose worst case does not fit, max_tokens
 * is lowered to what the wallet and budgets can still cover (down to a
 * sensible minimum) and the hold retried.
 */
import type { HoldOutcome, Ledger, RateCardRecord } from "../ledger/index.js";
import { channelFields, type Logger } from "../log.js";
import { formatDecimal } from "../money.js";
import { fitMaxTokens, llmHold, type LlmCostShape } from "./llm-plan.js";
import type { OwnCalls } from "./own-calls.js";
import type { HoldAmounts, PricingConfig } from "./pricing.js";
import { budgetExceeded, connectionRevoked, insufficientCredits, softBudgetMessage } from "./refusals.js";
import type { MeteringObserver, PaidCallRequest } from "./types.js";

/** Below this many completion tokens a draft is not worth running: refuse instead. */
export const MIN_COMPLETION_TOKENS = 256;

export type Placed = Extract<HoldOutcome, { kind: "placed" }>;
export type Existing = Extract<HoldOutcome, { kind: "existing" }>;

export interface PreflightDeps {
  ledger: Ledger;
  pricing: PricingConfig;
  logger: Logger;
  now: () => number;
  observe: MeteringObserver;
  /** The registered server instance this process is, if any: it owns the calls it holds. */
  instanceId: string | null;
  instanceReady: (() => Promise<void>) | undefined;
  ownCalls: OwnCalls;
  /** Stripe is configured: the refusal for too few credits names the buy_credits tool. */
  paymentsConfigured: boolean;
}

async function place(deps: PreflightDeps, request: PaidCallRequest, card: RateCardRecord, fingerprint: string, amounts: HoldAmounts) {
  await deps.instanceReady?.();
  return deps.ownCalls.place(() =>
    deps.ledger.placeHold({
      orgId: request.org.id,
      feature: request.feature,
      provider: card.provider,
      deploymentMode: deps.pricing.deploymentMode,
      holdMicroCredits: amounts.hold,
      walletHoldMicroCredits: amounts.walletHold,
      idempotencyKey: request.idempotencyKey ?? null,
      requestHash: fingerprint,
      markup: formatDecimal(deps.pricing.markup),
      creditUsdValue: formatDecimal(deps.pricing.creditUsdValue),
      ownerInstanceId: deps.instanceId,
      connectionId: request.channel?.connectionId ?? null,
      apiKeyId: request.channel?.apiKeyId ?? null,
      now: deps.now(),
    }),
  );
}

/** Refusals leave no call behind, so they are counted per day for the dashboard; a failed count never hides the refusal. */
async function countRefusal(deps: PreflightDeps, request: PaidCallRequest, code: "insufficient_credits" | "budget_exceeded") {
  deps.observe({ kind: "hold_rejected", feature: request.feature, reason: code });
  await deps.ledger
    .recordRefusal(request.org.id, request.feature, code, deps.now())
    .catch((error: unknown) =>
      deps.logger.warn("could not count a refused call", { org: request.org.id, ...channelFields(request.channel), error: String(error) }),
    );
}

/** Throws the refusal the user sees; returns placed or existing holds. */
async function accepted(deps: PreflightDeps, request: PaidCallRequest, outcome: HoldOutcome, hold: bigint): Promise<Placed | Existing> {
  switch (outcome.kind) {
    case "insufficient_credits":
      await countRefusal(deps, request, outcome.kind);
      throw insufficientCredits(request, outcome.availableMicroCredits, outcome.neededMicroCredits, deps.paymentsConfigured);
    case "budget_exceeded":
      await countRefusal(deps, request, outcome.kind);
      throw budgetExceeded(request, outcome.standing, outcome.neededMicroCredits);
    case "connection_revoked":
      throw connectionRevoked();
    case "existing":
      return outcome;
    case "placed":
      for (const crossing of outcome.softBudgetsCrossed.filter((c) => c.firstNotice)) {
        const message = softBudgetMessage(request, crossing, hold);
        deps.logger.warn(message, { org: request.org.id, ...channelFields(request.channel) });
        await request.notify?.("warning", message).catch(() => undefined);
      }
      return outcome;
  }
}

/** A hold of a fixed size (the floor, or an Apify cap). */
export async function preflightFixed(
  deps: PreflightDeps,
  request: PaidCallRequest,
  card: RateCardRecord,
  fingerprint: string,
  amounts: HoldAmounts,
): Promise<Placed | Existing> {
  return accepted(deps, request, await place(deps, request, card, fingerprint, amounts), amounts.hold);
}

/**
 * An LLM hold sized to the worst case at `maxTokens`; when refused for lack
 * of room, retried at the largest max_tokens that fits. Returns the hold and
 * the max_tokens it covers.
 */
export async function preflightLlm(
  deps: PreflightDeps,
  request: PaidCallRequest,
  card: RateCardRecord,
  fingerprint: string,
  shape: LlmCostShape,
  requestedMaxTokens: number,
): Promise<{ outcome: Placed | Existing; maxTokens: number }> {
  let maxTokens = requestedMaxTokens;
  for (let attempt = 0; ; attempt++) {
    const amounts = llmHold(card.floorMicroCredits, shape, maxTokens, deps.pricing);
    const outcome = await place(deps, request, card, fingerprint, amounts);
    const room =
      outcome.kind === "insufficient_credits"
        ? outcome.availableMicroCredits
        : outcome.kind === "budget_exceeded"
          ? outcome.standing.budget.limitMicroCredits - outcome.standing.usedMicroCredits
          : null;
    const minimum = Math.min(MIN_COMPLETION_TOKENS, requestedMaxTokens);
    const fitted = room !== null && attempt < 3 ? fitMaxTokens(room, card.floorMicroCredits, shape, maxTokens - 1, minimum, deps.pricing) : null;
    if (fitted === null || maxTokens <= minimum) return { outcome: await accepted(deps, request, outcome, amounts.hold), maxTokens };
    maxTokens = fitted;
  }
}

/** Tells the client when its max_tokens was lowered to fit its credits. */
export async function noteLoweredMaxTokens(deps: PreflightDeps, request: PaidCallRequest, requested: number, granted: number) {
  if (granted >= requested) return;
  const message = `${request.feature}: max_tokens lowered from ${requested} to ${granted} so the worst-case cost fits the credits available.`;
  deps.logger.info(message, { org: request.org.id, ...channelFields(request.channel) });
  await request.notify?.("info", message).catch(() => undefined);
}
