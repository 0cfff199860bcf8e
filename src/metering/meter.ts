/**
 * The metering core (SPEC section 4): preflight and hold in one transaction,
 * the provider work capped to the hold, then settle at the provider's real
 * cost x markup, void when the work certainly cost nothing, or `unknown`
 * when nobody can tell yet. Every paid tool runs through `run()`.
 */
import { EcnError } from "../errors.js";
import type { Ledger, ToolCallRecord } from "../ledger/index.js";
import type { Logger } from "../log.js";
import { ProviderFailure } from "../providers/failure.js";
import type { OpenRouterProvider } from "../providers/openrouter.js";
import { requestFingerprint } from "./fingerprint.js";
import { holdAmounts, type PricingConfig } from "./pricing.js";
import {
  budgetExceeded,
  insufficientCredits,
  providerError,
  softBudgetMessage,
  unresolvedError,
  withChargeNote,
} from "./refusals.js";
import { meteringBlock, waitForResolution } from "./replay.js";
import { PaidSession, type UnresolvedRequest } from "./session.js";
import type { LlmSession, PaidCallRequest, PaidCallResult } from "./types.js";

export interface MeteringDeps {
  ledger: Ledger;
  pricing: PricingConfig;
  providers: { openrouter?: OpenRouterProvider | undefined };
  providerTimeoutMs: number;
  logger: Logger;
  now?: () => number;
}

export class Metering {
  private readonly now: () => number;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly deps: MeteringDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Runs paid LLM work for a feature: the tool gets a session, the core does the money. */
  async run<T>(request: PaidCallRequest, work: (session: LlmSession) => Promise<T>): Promise<PaidCallResult<T>> {
    const running = this.runOnce(request, work, true);
    this.inFlight.add(running);
    try {
      return await running;
    } finally {
      this.inFlight.delete(running);
    }
  }

  /** Waits for paid calls in progress to settle (for a graceful shutdown), at most `timeoutMs`. */
  async drain(timeoutMs: number): Promise<number> {
    const pending = [...this.inFlight];
    if (pending.length === 0) return 0;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.allSettled(pending), timeout]);
    clearTimeout(timer);
    return this.inFlight.size;
  }

  private async runOnce<T>(
    request: PaidCallRequest,
    work: (session: LlmSession) => Promise<T>,
    mayRetryFreedKey: boolean,
  ): Promise<PaidCallResult<T>> {
    const { ledger, pricing } = this.deps;
    const card = await ledger.getRateCard(request.feature);
    const openrouter = this.deps.providers.openrouter;
    if (card.provider === "openrouter" && !openrouter) {
      throw new EcnError(
        "provider_not_configured",
        `${request.feature} needs OpenRouter, but OPENROUTER_API_KEY is not set on this server. Set it in the server's environment and restart.`,
      );
    }
    const model = request.llm?.model ?? card.model ?? "";
    const maxTokens = request.llm?.maxTokens ?? card.maxTokens ?? 1024;
    const fingerprint = requestFingerprint(request.feature, request.args);
    const amounts = holdAmounts(card.floorMicroCredits, null, pricing);
    const outcome = await ledger.placeHold({
      orgId: request.org.id,
      feature: request.feature,
      provider: card.provider,
      deploymentMode: pricing.deploymentMode,
      holdMicroCredits: amounts.hold,
      walletHoldMicroCredits: amounts.walletHold,
      idempotencyKey: request.idempotencyKey ?? null,
      requestHash: fingerprint,
      now: this.now(),
    });
    switch (outcome.kind) {
      case "insufficient_credits":
        throw insufficientCredits(request, outcome.availableMicroCredits, outcome.neededMicroCredits);
      case "budget_exceeded":
        throw budgetExceeded(request, outcome.standing, outcome.neededMicroCredits);
      case "existing":
        return this.replay(request, outcome.call, fingerprint, work, mayRetryFreedKey);
      case "placed":
        break;
    }
    for (const crossing of outcome.softBudgetsCrossed.filter((c) => c.firstNotice)) {
      const message = softBudgetMessage(request, crossing, amounts.hold);
      this.deps.logger.warn(message, { org: request.org.id });
      await request.notify?.("warning", message).catch(() => undefined);
    }

    const timeout = AbortSignal.timeout(this.deps.providerTimeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const session = new PaidSession(outcome.call, model, maxTokens, {
      ledger,
      pricing,
      openrouter,
      signal,
      now: this.now,
    });
    let value: T | undefined;
    let failure: unknown;
    try {
      value = await work(session);
    } catch (error) {
      failure = error;
    }
    return this.conclude(request, session, value, failure);
  }

  /** Settles, voids or leaves the call unknown, then returns the result or throws the error the user sees. */
  private async conclude<T>(
    request: PaidCallRequest,
    session: PaidSession,
    value: T | undefined,
    failure: unknown,
  ): Promise<PaidCallResult<T>> {
    const { ledger } = this.deps;
    const call = session.call;
    if (session.unresolved.length > 0) {
      const stillOpen = await this.resolveByLookup(session, session.unresolved);
      const error = unresolvedError(session.unresolved[0]!.failure, stillOpen, call);
      if (stillOpen) {
        await ledger.markUnknown(call.id, error.code, error.message);
        throw error;
      }
      await ledger.settleCall(call.id, session.events, { error: { code: error.code, message: error.message } }, this.now());
      throw error;
    }
    if (failure === undefined) {
      const settled = await ledger.settleCall(call.id, session.events, { resultJson: JSON.stringify(value) }, this.now());
      return { value: value as T, metering: meteringBlock(settled.call, session.events, settled.wallet), replayed: false };
    }
    const base = failure instanceof ProviderFailure ? providerError(failure) : toEcnError(failure);
    const charged = session.events.reduce((sum, e) => sum + e.chargedMicroCredits, 0n);
    const error = withChargeNote(base, charged, call);
    const stored = { code: error.code, message: error.message };
    if (session.didWork) await ledger.settleCall(call.id, session.events, { error: stored }, this.now());
    else await ledger.voidCall(call.id, session.events, stored, this.now());
    throw error;
  }

  /**
   * Asks the provider what an unresolved request cost. Returns true when some
   * request is still unpriced (the call must stay `unknown` for the reconciler).
   */
  private async resolveByLookup(session: PaidSession, unresolved: UnresolvedRequest[]): Promise<boolean> {
    const openrouter = this.deps.providers.openrouter;
    let stillOpen = false;
    for (const request of unresolved) {
      const looked = request.providerRef && openrouter ? await openrouter.generationCost(request.providerRef).catch(() => null) : null;
      if (!looked) {
        stillOpen = true;
        continue;
      }
      session.recordEvent({
        provider: "openrouter",
        model: looked.model ?? request.model,
        providerRequestId: request.providerRef,
        outcome: "failed",
        promptTokens: looked.usage.promptTokens,
        completionTokens: looked.usage.completionTokens,
        totalTokens: looked.usage.totalTokens,
        costNanoUsd: looked.costNanoUsd,
        costSource: "lookup",
        estimated: false,
        createdAt: request.createdAt,
      });
    }
    return stillOpen;
  }

  /** Same organisation and key: replay the first result, or refuse when the arguments differ. */
  private async replay<T>(
    request: PaidCallRequest,
    existing: ToolCallRecord,
    fingerprint: string,
    work: (session: LlmSession) => Promise<T>,
    mayRetryFreedKey: boolean,
  ): Promise<PaidCallResult<T>> {
    if (existing.requestHash !== fingerprint) {
      throw new EcnError(
        "idempotency_conflict",
        `idempotency_key "${request.idempotencyKey}" was already used with different arguments (call ${existing.id}). Use a new key for a new request.`,
      );
    }
    const call = await waitForResolution(this.deps.ledger, existing.id, this.deps.providerTimeoutMs, request.signal);
    if (call.state === "voided" && mayRetryFreedKey) return this.runOnce(request, work, false);
    if (call.state === "settled") {
      if (call.errorCode || call.resultJson === null) {
        throw new EcnError(toCode(call.errorCode), call.errorMessage ?? "the earlier call with this key failed");
      }
      const events = await this.deps.ledger.usageEventsOfCall(call.id);
      const wallet = await this.deps.ledger.getWallet(call.orgId);
      return { value: JSON.parse(call.resultJson) as T, metering: meteringBlock(call, events, wallet), replayed: true };
    }
    throw new EcnError(
      "idempotency_conflict",
      call.state === "unknown"
        ? `the earlier call with idempotency_key "${request.idempotencyKey}" (${call.id}) has an unknown outcome; it will be settled by \`ecn-mcp reconcile\`. Do not retry with this key.`
        : `the earlier call with idempotency_key "${request.idempotencyKey}" (${call.id}) is still running; retry later for its result.`,
    );
  }
}

function toCode(code: string | null) {
  return (code ?? "provider_error") as EcnError["code"];
}

function toEcnError(error: unknown): EcnError {
  if (error instanceof EcnError) return error;
  if (error instanceof Error && error.name === "AbortError") {
    return new EcnError("provider_error", "the request was cancelled before the provider answered.");
  }
  const message = error instanceof Error ? error.message : String(error);
  return new EcnError("provider_error", `the tool failed: ${message}`);
}

