/**
 * The metering core: preflight and hold in one transaction,
 * the provider work capped to the hold, then settle at the provider's real
 * cost x markup, void when the work certainly cost nothing, or `unknown`
 * when nobody can tell yet. Every paid tool runs through `runLlm()` or
 * `runActor()`; nothing else in the program can reach a paid provider.
 */
import { EcnError } from "../errors.js";
import { CrashSignal, failpoint } from "../failpoints.js";
import type { Ledger, RateCardRecord } from "../ledger/index.js";
import type { Logger } from "../log.js";
import { coveredCostNanoUsd, nanoToUsd } from "../money.js";
import type { ApifyProvider } from "../providers/apify.js";
import { ProviderFailure } from "../providers/failure.js";
import type { OpenRouterProvider } from "../providers/openrouter.js";
import { actorCapMicro, actorMinimum } from "./actor-cap.js";
import { concludeCall } from "./conclude.js";
import { requestFingerprint } from "./fingerprint.js";
import { promptTokenBound, worstCaseNanoUsd, type LlmCostShape } from "./llm-plan.js";
import { ModelPrices, type ModelPrice } from "./model-prices.js";
import { noteLoweredMaxTokens, preflightFixed, preflightLlm, type Existing, type Placed } from "./preflight.js";
import { holdAmounts, meteringMarkup, type PricingConfig } from "./pricing.js";
import { cancellation } from "../failures.js";
import { unpricedModel, type ModelChoice } from "./refusals.js";
import { replayExisting } from "./replay.js";
import { OwnCalls } from "./own-calls.js";
import { RequestCore } from "./request-core.js";
import { storedOutcome, type StoredOutcome } from "./stored-outcome.js";
import { ActorCallSession, LlmCallSession } from "./call-sessions.js";
import type { ActorCallRequest, ActorSession, LlmCallRequest, LlmSession, MeteringObserver, OutcomeSpool, PaidCallRequest, PaidCallResult } from "./types.js";

export interface MeteringDeps {
  ledger: Ledger;
  pricing: PricingConfig;
  providers: { openrouter?: OpenRouterProvider | undefined; apify?: ApifyProvider | undefined };
  providerTimeoutMs: number;
  actorTimeoutMs: number;
  logger: Logger;
  embeddingModel: string;
  leadSignalActor: string;
  /** The operator's minimum cap for lead-signal runs (nano-USD), on top of what the actor says. */
  leadSignalMinChargeNanoUsd?: bigint | null;
  now?: () => number;
  /** Told about rejections and resolutions, for metrics. */
  observe?: MeteringObserver;
  /** The registered server instance this process is: its calls are left to it while its heartbeat lasts. */
  instanceId?: string | null;
  /** Resolves once that instance's row is in the ledger (a hold is never placed for an owner nobody can see). */
  instanceReady?: () => Promise<void>;
  /** The sandbox: simulated providers and a ledger of its own; every metering block says so. */
  sandbox?: boolean;
  /** A server's outcome spool: what the ledger cannot take when a call ends waits there (none outside a server). */
  spool?: OutcomeSpool | undefined;
  /** Told when a settle took an organisation's balance under its watch level (alerts, auto-recharge). */
  balanceSignalled?: (orgId: string) => void;
  /** Stripe is configured (refusals for too few credits name the buy_credits tool). */
  paymentsConfigured?: boolean;
}

/** Only an idempotency key needs the arguments' fingerprint (a SHA-256 of them): skip it otherwise. */
const fingerprintOf = (request: PaidCallRequest) => (request.idempotencyKey ? requestFingerprint(request.feature, request.args) : "");

const PROVIDER_ENV: Record<RateCardRecord["provider"], string> = { openrouter: "OPENROUTER_API_KEY", apify: "APIFY_API_TOKEN" };

export class Metering {
  readonly prices: ModelPrices;
  /** The calls this process is still working on (a server's sweep resolves the ones it gave up on). */
  readonly ownCalls = new OwnCalls();
  private readonly now: () => number;
  private readonly observe: MeteringObserver;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly deps: MeteringDeps) {
    this.now = deps.now ?? Date.now;
    this.observe = deps.observe ?? (() => undefined);
    this.prices = new ModelPrices(deps.ledger, deps.providers.openrouter, deps.logger, this.now);
  }

  /** Runs paid LLM work for a feature: the tool gets a session, the core does the money. */
  runLlm<T>(request: LlmCallRequest, work: (session: LlmSession) => Promise<T>): Promise<PaidCallResult<T>> {
    return this.track(this.marked(this.llmOnce(request, work, true)));
  }

  /** Runs one capped Apify actor run for a feature. */
  runActor<T>(request: ActorCallRequest, work: (session: ActorSession) => Promise<T>): Promise<PaidCallResult<T>> {
    return this.track(this.marked(this.actorOnce(request, work, true)));
  }

  /** A sandbox call's metering block says so, so a workflow can never mistake it for a real charge. */
  private marked<T>(result: Promise<PaidCallResult<T>>): Promise<PaidCallResult<T>> {
    if (!this.deps.sandbox) return result; // the live path gets no extra step
    return result.then((done) => ({ ...done, metering: { ...done.metering, sandbox: true as const } }));
  }

  /** A call's outcome as the ledger holds it (an MCP task's result), or null when there is no such call. */
  outcomeOf(callId: string): Promise<StoredOutcome | null> {
    return storedOutcome(this.deps.ledger, callId, this.deps.sandbox ?? false);
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

  private async track<T>(running: Promise<T>): Promise<T> {
    this.inFlight.add(running);
    try {
      return await running;
    } finally {
      this.inFlight.delete(running);
    }
  }

  private async rateCardFor(request: PaidCallRequest): Promise<RateCardRecord> {
    const card = await this.deps.ledger.getRateCard(request.feature);
    if (!this.deps.providers[card.provider]) {
      throw new EcnError(
        "provider_not_configured",
        `${request.feature} needs ${card.provider === "openrouter" ? "OpenRouter" : "Apify"}, but ${PROVIDER_ENV[card.provider]} is not set on this server. Set it in the server's environment and restart.`,
      );
    }
    return card;
  }

  private get preflightDeps() {
    return {
      ledger: this.deps.ledger,
      pricing: this.deps.pricing,
      logger: this.deps.logger,
      now: this.now,
      observe: this.observe,
      instanceId: this.deps.instanceId ?? null,
      instanceReady: this.deps.instanceReady,
      ownCalls: this.ownCalls,
      paymentsConfigured: this.deps.paymentsConfigured ?? false,
    };
  }

  private async llmOnce<T>(request: LlmCallRequest, work: (s: LlmSession) => Promise<T>, retryFreedKey: boolean): Promise<PaidCallResult<T>> {
    const card = await this.rateCardFor(request);
    const model = request.model ?? card.model ?? "";
    const requestedMaxTokens = request.maxTokens ?? card.maxTokens ?? 1024;
    const fingerprint = fingerprintOf(request);
    const shape = await this.costShape(model, request);
    const { outcome, maxTokens } = await preflightLlm(this.preflightDeps, request, card, fingerprint, shape, requestedMaxTokens);
    if (outcome.kind === "existing") return this.replay(outcome, request, fingerprint, () => this.llmOnce(request, work, false), retryFreedKey);
    await noteLoweredMaxTokens(this.preflightDeps, request, requestedMaxTokens, maxTokens);
    const { openrouter } = this.deps.providers;
    const session = (core: RequestCore) => new LlmCallSession(core, openrouter, model, maxTokens, this.deps.embeddingModel);
    return this.execute(outcome, session, request, work, this.deps.providerTimeoutMs);
  }

  private async actorOnce<T>(request: ActorCallRequest, work: (s: ActorSession) => Promise<T>, retryFreedKey: boolean): Promise<PaidCallResult<T>> {
    const card = await this.rateCardFor(request);
    const fingerprint = fingerprintOf(request);
    const { pricing } = this.deps;
    // The cap is what the caller allows (default: the floor), never below the actor's minimum; the hold is at least the floor.
    const actorId = this.deps.leadSignalActor;
    const fromApify = (await this.deps.providers.apify?.minimumChargeNanoUsd(actorId)) ?? null;
    const minimum = actorMinimum(fromApify, this.deps.leadSignalMinChargeNanoUsd ?? null);
    const capMicro = actorCapMicro(request, card.floorMicroCredits, actorId, minimum, pricing);
    const capUsd = nanoToUsd(coveredCostNanoUsd(capMicro, meteringMarkup(pricing), pricing.creditUsdValue));
    const amounts = holdAmounts(card.floorMicroCredits > capMicro ? card.floorMicroCredits : capMicro, null, pricing);
    const outcome = await preflightFixed(this.preflightDeps, request, card, fingerprint, amounts);
    if (outcome.kind === "existing") return this.replay(outcome, request, fingerprint, () => this.actorOnce(request, work, false), retryFreedKey);
    const { apify } = this.deps.providers;
    const session = (core: RequestCore) => new ActorCallSession(core, apify, actorId, capUsd);
    return this.execute(outcome, session, request, work, this.deps.actorTimeoutMs);
  }

  /** A model's worst-case price, or the refusal that says why it has none (nothing is held or sent without one). */
  private async priceOf(request: PaidCallRequest, model: string, choice: ModelChoice): Promise<ModelPrice> {
    const found = await this.prices.lookup(model);
    if (found.kind === "priced") return found.price;
    throw unpricedModel(request, model, choice, found.kind === "list_unavailable");
  }

  /** The worst-case cost shape of an LLM call: its chat request and, when it ranks documents first, its embeddings request. */
  private async costShape(model: string, request: LlmCallRequest): Promise<LlmCostShape> {
    const price = await this.priceOf(request, model, request.model !== undefined ? "caller" : "rate_card");
    let extraNanoUsd = 0n;
    if (request.embeddingText !== undefined) {
      const embedding = await this.priceOf(request, this.deps.embeddingModel, "embedding");
      const tokens = promptTokenBound(request.embeddingText, 1);
      extraNanoUsd = worstCaseNanoUsd({ price: embedding, promptTokens: tokens, extraNanoUsd: 0n }, 0);
    }
    return { price, promptTokens: promptTokenBound(request.promptText), extraNanoUsd };
  }

  private async execute<T, S extends LlmSession | ActorSession>(
    placed: Placed,
    sessionOf: (core: RequestCore) => S,
    request: PaidCallRequest,
    work: (session: S) => Promise<T>,
    timeoutMs: number,
  ): Promise<PaidCallResult<T>> {
    try {
      return await this.runPlaced(placed, sessionOf, request, work, timeoutMs);
    } finally {
      this.ownCalls.done(placed.call.id);
    }
  }

  private async runPlaced<T, S extends LlmSession | ActorSession>(
    placed: Placed,
    sessionOf: (core: RequestCore) => S,
    request: PaidCallRequest,
    work: (session: S) => Promise<T>,
    timeoutMs: number,
  ): Promise<PaidCallResult<T>> {
    failpoint("after_hold");
    // One controller per call, released when the call ends: AbortSignal.timeout/any would keep every
    // call's signals (and what they reference) alive until the timer fires, minutes later.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException("provider deadline passed", "TimeoutError")), timeoutMs);
    const onCancel = () => controller.abort(request.signal?.reason);
    request.signal?.addEventListener("abort", onCancel, { once: true });
    if (request.signal?.aborted) onCancel();
    const core = new RequestCore(placed.call, {
      ledger: this.deps.ledger,
      pricing: this.deps.pricing,
      signal: controller.signal,
      logger: this.deps.logger,
      now: this.now,
      spool: this.deps.spool,
    });
    let value: T | undefined;
    let failure: unknown;
    try {
      await request.onCall?.(placed.call);
      value = await work(sessionOf(core));
    } catch (error) {
      if (error instanceof CrashSignal) throw error; // a simulated crash leaves the call as a dead process would
      failure = error;
      // The call's own deadline or the client's cancel, thrown as the bare abort reason between requests.
      if (controller.signal.aborted && !(error instanceof ProviderFailure) && !(error instanceof EcnError)) failure = cancellation();
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener("abort", onCancel);
    }
    const { ledger, providers, spool } = this.deps;
    const signalled = this.deps.balanceSignalled;
    return concludeCall({ ledger, providers, now: this.now, observe: this.observe, spool, walletAtHold: placed.wallet, signalled }, core, value, failure);
  }

  private replay<T>(
    existing: Existing,
    request: PaidCallRequest,
    fingerprint: string,
    rerun: () => Promise<PaidCallResult<T>>,
    retryFreedKey: boolean,
  ): Promise<PaidCallResult<T>> {
    return replayExisting<T>(this.deps.ledger, existing.call, request, fingerprint, this.deps.providerTimeoutMs, retryFreedKey ? rerun : null);
  }
}
