/**
 * One paid call's provider session: marks the call dispatched just before
 * the first request leaves, stores provider references the moment they are
 * known, and turns every request's outcome into a priced usage event (or an
 * unresolved request the core must settle later).
 */
import type { Ledger, ToolCallRecord, UsageEventInput } from "../ledger/index.js";
import { ProviderFailure } from "../providers/failure.js";
import type { ChatCompletion, ChatMessage, OpenRouterProvider } from "../providers/openrouter.js";
import { priceEvent, type PricingConfig } from "./pricing.js";
import type { LlmSession } from "./types.js";

/** A request whose cost is not known: the provider may have billed it. */
export interface UnresolvedRequest {
  providerRef: string | null;
  model: string | null;
  createdAt: number;
  failure: ProviderFailure;
}

export interface SessionDeps {
  ledger: Ledger;
  pricing: PricingConfig;
  openrouter: OpenRouterProvider | undefined;
  signal: AbortSignal;
  now: () => number;
}

export class PaidSession implements LlmSession {
  readonly events: UsageEventInput[] = [];
  readonly unresolved: UnresolvedRequest[] = [];
  private dispatched = false;

  constructor(
    readonly call: ToolCallRecord,
    readonly model: string,
    readonly maxTokens: number,
    private readonly deps: SessionDeps,
  ) {}

  /** True when some request did billable work (so the call settles rather than voids). */
  get didWork(): boolean {
    return this.events.some((e) => e.outcome === "ok" || e.costNanoUsd > 0n);
  }

  private async dispatch(): Promise<void> {
    this.deps.signal.throwIfAborted();
    if (this.dispatched) return;
    await this.deps.ledger.markDispatched(this.call.id, this.deps.now());
    this.dispatched = true;
  }

  /** Records a priced usage event for one provider request. */
  recordEvent(event: Omit<UsageEventInput, keyof ReturnType<typeof priceEvent>>): void {
    this.events.push({ ...event, ...priceEvent(event.costNanoUsd, this.deps.pricing) });
  }

  async chat(messages: ChatMessage[]): Promise<ChatCompletion> {
    const openrouter = this.deps.openrouter;
    if (!openrouter) throw new ProviderFailure("openrouter", "none", "OpenRouter is not configured");
    await this.dispatch();
    const createdAt = this.deps.now();
    let ref: string | null = null;
    let completion: ChatCompletion;
    try {
      completion = await openrouter.chat({
        model: this.model,
        messages,
        maxTokens: this.maxTokens,
        signal: this.deps.signal,
        onProviderRef: async (id) => {
          ref = id;
          await this.deps.ledger.addProviderRef(this.call.id, id);
        },
      });
    } catch (error) {
      const failure = error as ProviderFailure;
      const providerRef = failure.details?.providerRef ?? ref;
      if (failure.billing === "none") {
        this.recordEvent({
          provider: "openrouter",
          model: this.model,
          providerRequestId: providerRef,
          outcome: "failed",
          promptTokens: null,
          completionTokens: null,
          totalTokens: null,
          costNanoUsd: 0n,
          costSource: "none",
          estimated: false,
          createdAt,
        });
      } else {
        this.unresolved.push({ providerRef, model: this.model, createdAt, failure });
      }
      throw failure;
    }
    if (completion.costNanoUsd === null) {
      const failure = new ProviderFailure("openrouter", "unknown", "OpenRouter did not report what the request cost", {
        ...(completion.generationId ? { providerRef: completion.generationId } : {}),
      });
      this.unresolved.push({ providerRef: completion.generationId, model: completion.model, createdAt, failure });
      throw failure;
    }
    this.recordEvent({
      provider: "openrouter",
      model: completion.model,
      providerRequestId: completion.generationId,
      outcome: "ok",
      promptTokens: completion.usage.promptTokens,
      completionTokens: completion.usage.completionTokens,
      totalTokens: completion.usage.totalTokens,
      costNanoUsd: completion.costNanoUsd,
      costSource: completion.costSource,
      estimated: false,
      createdAt,
    });
    return completion;
  }
}
