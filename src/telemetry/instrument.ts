/**
 * The ledger and the providers as the metering core sees them when the
 * server is observed: the same objects, each call timed (Prometheus
 * histograms for the hold, the provider request and the settle) and, with
 * tracing on, a child span of the MCP request (ledger transactions by name;
 * the LLM request by the GenAI semantic conventions). The metering core is
 * given these in place of the bare ones and knows nothing of it; without
 * metrics or tracing nothing is wrapped, so the paid path pays nothing.
 */
import type { ApifyProvider, ApifyRunRequest, ApifyRunResult } from "../providers/apify.js";
import type { ReportedCost } from "../providers/cost.js";
import type { ChatCompletion, ChatRequest, Embeddings, EmbeddingRequest, OpenRouterProvider } from "../providers/openrouter.js";
import { nanoToUsd } from "../money.js";
import type { Attributes, SpanHandle, Tracing } from "./tracing.js";

/** The steps of a paid call timed for metrics: the hold, each provider request, the call's resolution. */
export type TimedStep =
  { step: "hold"; feature: string } | { step: "provider"; provider: string; operation: string } | { step: "settle"; outcome: "settled" | "voided" | "unknown" };

export type StepTimer = (step: TimedStep, seconds: number) => void;

export interface Observation {
  tracing?: Tracing | undefined;
  timer?: StepTimer | undefined;
}

/** A span name and a timed step for the ledger calls that make up a paid call; other calls keep their method name. */
const LEDGER_STEPS: Record<string, { name: string; timed?: (args: unknown[]) => TimedStep }> = {
  placeHold: { name: "hold", timed: (args) => ({ step: "hold", feature: String((args[0] as { feature?: unknown }).feature) }) },
  markDispatched: { name: "dispatch" },
  addProviderRef: { name: "provider_ref" },
  settleCall: { name: "settle", timed: () => ({ step: "settle", outcome: "settled" }) },
  voidCall: { name: "void", timed: () => ({ step: "settle", outcome: "voided" }) },
  markUnknown: { name: "unknown", timed: () => ({ step: "settle", outcome: "unknown" }) },
};

/** Methods that return no promise (or end the ledger): called as they are. */
const UNWRAPPED = new Set(["iterateUsage", "close", "constructor"]);

async function observed<T>(
  observation: Observation,
  span: { name: string; kind: "client" | "internal"; attributes: Attributes } | null,
  timed: TimedStep | null,
  run: (span: SpanHandle | null) => Promise<T>,
): Promise<T> {
  const started = timed && observation.timer ? performance.now() : 0;
  try {
    return span && observation.tracing ? await observation.tracing.child(span.name, span.kind, span.attributes, run) : await run(null);
  } finally {
    if (timed && observation.timer) observation.timer(timed, (performance.now() - started) / 1000);
  }
}

/** The ledger, each call a child span (`ledger hold`, `ledger settle`, …) and the money steps timed. */
export function observeLedger<L extends object>(ledger: L, dialect: "sqlite" | "postgres", observation: Observation): L {
  const wrapped = new Map<string, unknown>();
  const system = dialect === "postgres" ? "postgresql" : "sqlite";
  return new Proxy(ledger, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function" || typeof property !== "string" || UNWRAPPED.has(property)) return value;
      const step = LEDGER_STEPS[property];
      // Without tracing only the money steps are timed; every other call goes straight through.
      if (!observation.tracing && !step?.timed) return value;
      let fn = wrapped.get(property);
      if (!fn) {
        const span = {
          name: `ledger ${step?.name ?? property}`,
          kind: dialect === "postgres" ? ("client" as const) : ("internal" as const),
          attributes: { "db.system.name": system, "ecn.ledger.operation": property },
        };
        fn = (...args: unknown[]) =>
          observed(observation, span, step?.timed?.(args) ?? null, () => Promise.resolve((value as (...a: unknown[]) => unknown).apply(target, args)));
        wrapped.set(property, fn);
      }
      return fn;
    },
  });
}

const costUsd = (cost: ReportedCost) => (cost.kind === "known" ? nanoToUsd(cost.nanoUsd) : undefined);

/** GenAI attributes of a finished OpenRouter request (chat or embeddings). */
function genAiResult(span: SpanHandle | null, result: ChatCompletion | Embeddings): void {
  span?.set({
    "gen_ai.response.model": result.model,
    "gen_ai.response.id": result.generationId ?? undefined,
    "gen_ai.usage.input_tokens": result.usage.promptTokens ?? undefined,
    "gen_ai.usage.output_tokens": result.usage.completionTokens ?? undefined,
    "ecn.cost_usd": costUsd(result.cost),
    "ecn.cost_source": result.costSource,
    ...("finishReason" in result && result.finishReason ? { "gen_ai.response.finish_reasons": result.finishReason } : {}),
  });
}

const genAiRequest = (operation: "chat" | "embeddings", model: string, extra: Attributes = {}) => ({
  name: `${operation} ${model}`,
  kind: "client" as const,
  attributes: {
    "gen_ai.operation.name": operation,
    "gen_ai.provider.name": "openrouter",
    // The attribute gen_ai.provider.name replaced: still what many backends group by.
    "gen_ai.system": "openrouter",
    "gen_ai.request.model": model,
    ...extra,
  },
});

/** OpenRouter, each chat and embeddings request a GenAI client span and a timed provider step. */
export function observeOpenRouter(provider: OpenRouterProvider, observation: Observation): OpenRouterProvider {
  const timed = (operation: string): TimedStep => ({ step: "provider", provider: "openrouter", operation });
  return {
    chat: (request: ChatRequest) =>
      observed(observation, genAiRequest("chat", request.model, { "gen_ai.request.max_tokens": request.maxTokens }), timed("chat"), async (span) => {
        const result = await provider.chat(request);
        genAiResult(span, result);
        return result;
      }),
    embed: (request: EmbeddingRequest) =>
      observed(observation, genAiRequest("embeddings", request.model), timed("embeddings"), async (span) => {
        const result = await provider.embed(request);
        genAiResult(span, result);
        return result;
      }),
    listModels: (signal) => provider.listModels(signal),
    costOf: (generationId) => provider.costOf(generationId),
  };
}

/** Apify, each actor run a client span and a timed provider step. */
export function observeApify(provider: ApifyProvider, observation: Observation): ApifyProvider {
  return {
    runActor: (request: ApifyRunRequest) =>
      observed(
        observation,
        { name: `apify run ${request.actorId}`, kind: "client", attributes: { "ecn.provider": "apify", "ecn.actor_id": request.actorId } },
        { step: "provider", provider: "apify", operation: "run" },
        async (span) => {
          const result: ApifyRunResult = await provider.runActor(request);
          span?.set({ "ecn.provider_ref": result.runId, "ecn.actor_status": result.status, "ecn.cost_usd": costUsd(result.cost) });
          return result;
        },
      ),
    minimumChargeNanoUsd: (actorId) => provider.minimumChargeNanoUsd(actorId),
    costOf: (runId) => provider.costOf(runId),
    abandon: (runId, waitSecs) => provider.abandon(runId, waitSecs),
  };
}
