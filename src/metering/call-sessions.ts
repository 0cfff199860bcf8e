/**
 * The provider access a tool gets inside a paid call: an LLM session (chat,
 * embeddings) or an actor session (one capped run). Each is a thin face over
 * the call's RequestCore, which does the dispatch mark, the references and
 * the usage events; the sessions only say how to send and how to read.
 */
import { EcnError } from "../errors.js";
import type { ApifyProvider, ApifyRunResult } from "../providers/apify.js";
import { NO_TOKENS } from "../providers/cost.js";
import type { ChatCompletion, ChatMessage, OpenRouterProvider } from "../providers/openrouter.js";
import type { RequestCore } from "./request-core.js";
import type { ActorSession, ApifyProgress, LlmSession } from "./types.js";

export class LlmCallSession implements LlmSession {
  constructor(
    private readonly core: RequestCore,
    private readonly openrouter: OpenRouterProvider | undefined,
    readonly model: string,
    readonly maxTokens: number,
    private readonly embeddingModel: string,
  ) {}

  private provider(): OpenRouterProvider {
    if (!this.openrouter) throw new EcnError("provider_not_configured", "OpenRouter is not configured");
    return this.openrouter;
  }

  chat(messages: ChatMessage[], options: { json?: boolean } = {}): Promise<ChatCompletion> {
    const openrouter = this.provider();
    return this.core.send(
      "openrouter",
      this.model,
      (onProviderRef) =>
        openrouter.chat({ model: this.model, messages, maxTokens: this.maxTokens, json: options.json, signal: this.core.signal, onProviderRef }),
      (c) => ({ model: c.model, providerRequestId: c.generationId, outcome: "ok", usage: c.usage, cost: c.cost, costSource: c.costSource }),
    );
  }

  async embed(texts: string[]): Promise<number[][]> {
    const openrouter = this.provider();
    const result = await this.core.send(
      "openrouter",
      this.embeddingModel,
      (onProviderRef) => openrouter.embed({ model: this.embeddingModel, input: texts, signal: this.core.signal, onProviderRef }),
      (e) => ({ model: e.model, providerRequestId: e.generationId, outcome: "ok", usage: e.usage, cost: e.cost, costSource: e.costSource }),
    );
    return result.vectors;
  }
}

export class ActorCallSession implements ActorSession {
  constructor(
    private readonly core: RequestCore,
    private readonly apify: ApifyProvider | undefined,
    readonly actorId: string,
    readonly maxTotalChargeUsd: number,
  ) {}

  run(input: Record<string, unknown>, options: { maxItems: number; onProgress: (progress: ApifyProgress) => Promise<void> }): Promise<ApifyRunResult> {
    const apify = this.apify;
    if (!apify) throw new EcnError("provider_not_configured", "Apify is not configured");
    return this.core.send(
      "apify",
      this.actorId,
      (onRunStarted) =>
        apify.runActor({
          actorId: this.actorId,
          input,
          maxItems: options.maxItems,
          maxTotalChargeUsd: this.maxTotalChargeUsd,
          signal: this.core.signal,
          onRunStarted,
          onProgress: options.onProgress,
        }),
      (run) => ({
        model: this.actorId,
        providerRequestId: run.runId,
        outcome: run.status === "SUCCEEDED" ? "ok" : "failed",
        usage: NO_TOKENS,
        cost: run.cost,
        costSource: "reported",
      }),
    );
  }
}
