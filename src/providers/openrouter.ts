/**
 * OpenRouter through the `openai` package. Chat completions are
 * streamed so the generation id is known from the response headers before
 * any token is generated: a crash or timeout after that point can still be
 * priced from the generation endpoint. The client's own retries are off:
 * every request that leaves must be seen (and metered) by the caller.
 */
import OpenAI, { APIError } from "openai";
import type { ModelListPrices } from "../model-list-prices.js";
import { addCosts, MISSING_COST, readProviderCost, refCostOf, type RefCost, type ReportedCost, type TokenUsage } from "./cost.js";
import { classifyOpenRouterError } from "./openrouter-errors.js";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export type { TokenUsage };

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  maxTokens: number;
  /** Ask for a JSON object (OpenAI-compatible response_format). */
  json?: boolean;
  signal: AbortSignal;
  /** Called (and awaited) as soon as the generation id is known. */
  onProviderRef: (generationId: string) => Promise<void>;
}

export interface ChatCompletion {
  generationId: string | null;
  model: string;
  text: string;
  finishReason: string | null;
  usage: TokenUsage;
  /** What the request cost: missing only when neither the response nor the lookup said; impossible when either said nonsense. */
  cost: ReportedCost;
  costSource: "reported" | "lookup";
}

export interface EmbeddingRequest {
  model: string;
  input: string[];
  signal: AbortSignal;
  onProviderRef: (generationId: string) => Promise<void>;
}

export interface Embeddings {
  generationId: string | null;
  model: string;
  vectors: number[][];
  usage: TokenUsage;
  cost: ReportedCost;
  costSource: "reported" | "lookup";
}

/** A model and its list prices as /models gives them. */
export interface ListedModel extends ModelListPrices {
  id: string;
}

type ListedPricing = Partial<
  Record<"prompt" | "completion" | "request" | "input_cache_read" | "input_cache_write" | "internal_reasoning" | "web_search", unknown>
>;

export interface GenerationCost {
  /** Known, or impossible when the endpoint reported nonsense (never missing: then there is no GenerationCost). */
  cost: ReportedCost;
  model: string | null;
  usage: TokenUsage;
}

export interface OpenRouterProvider {
  chat(request: ChatRequest): Promise<ChatCompletion>;
  embed(request: EmbeddingRequest): Promise<Embeddings>;
  /** The model list with prices (free request). */
  listModels(signal?: AbortSignal): Promise<ListedModel[]>;
  /** What OpenRouter recorded for a generation (its generation endpoint). Never throws. */
  costOf(generationId: string): Promise<RefCost>;
}

export interface OpenRouterOptions {
  apiKey: string;
  baseUrl: string;
  /** How often to ask the generation endpoint while it still answers 404 (it lags the completion by about a second). */
  lookupAttempts?: number;
  lookupFirstDelayMs?: number;
}

interface OpenRouterUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  cost?: unknown;
  is_byok?: boolean;
  cost_details?: { upstream_inference_cost?: unknown } | null;
}

/** USD cost of a response's usage block; BYOK adds the upstream spend the operator's own key paid. */
export function usageCost(usage: OpenRouterUsage | null | undefined): ReportedCost {
  if (!usage) return MISSING_COST;
  const cost = readProviderCost(usage.cost);
  if (!usage.is_byok) return cost;
  return addCosts(cost, readProviderCost(usage.cost_details?.upstream_inference_cost ?? 0));
}

function tokenUsage(usage: OpenRouterUsage | null | undefined): TokenUsage {
  return {
    promptTokens: usage?.prompt_tokens ?? null,
    completionTokens: usage?.completion_tokens ?? null,
    totalTokens: usage?.total_tokens ?? null,
  };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const aborted = () => reject(signal?.reason instanceof Error ? signal.reason : new DOMException("aborted", "AbortError"));
    if (signal?.aborted) return aborted();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        aborted();
      },
      { once: true },
    );
  });

export function createOpenRouter(options: OpenRouterOptions): OpenRouterProvider {
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseUrl,
    maxRetries: 0,
    defaultHeaders: { "HTTP-Referer": "https://github.com/ecn-mcp/ecn-mcp", "X-Title": "ecn-mcp" },
  });
  const lookupAttempts = options.lookupAttempts ?? 6;
  const lookupFirstDelayMs = options.lookupFirstDelayMs ?? 250;

  async function generationCost(generationId: string, signal?: AbortSignal): Promise<GenerationCost | null> {
    for (let attempt = 0; attempt < lookupAttempts; attempt++) {
      try {
        const body = (await client.get("/generation", { query: { id: generationId }, signal })) as {
          data?: {
            total_cost?: unknown;
            is_byok?: boolean;
            upstream_inference_cost?: unknown;
            model?: string;
            tokens_prompt?: number;
            tokens_completion?: number;
          };
        };
        const data = body.data;
        const reported = readProviderCost(data?.total_cost);
        if (data && reported.kind !== "missing") {
          const prompt = data.tokens_prompt ?? null;
          const completion = data.tokens_completion ?? null;
          return {
            cost: data.is_byok ? addCosts(reported, readProviderCost(data.upstream_inference_cost ?? 0)) : reported,
            model: data.model ?? null,
            usage: { promptTokens: prompt, completionTokens: completion, totalTokens: prompt !== null && completion !== null ? prompt + completion : null },
          };
        }
      } catch (error) {
        const retriable = error instanceof APIError && (error.status === 404 || error.status === undefined || error.status >= 500 || error.status === 429);
        if (!retriable) throw classifyOpenRouterError(error, generationId);
      }
      if (attempt < lookupAttempts - 1) await sleep(lookupFirstDelayMs * 2 ** attempt, signal);
    }
    return null;
  }

  async function chat(request: ChatRequest): Promise<ChatCompletion> {
    let generationId: string | undefined;
    const remember = async (id: string | null | undefined) => {
      if (!id || generationId) return;
      generationId = id;
      await request.onProviderRef(id);
    };
    try {
      const { data: stream, response } = await client.chat.completions
        .create(
          {
            model: request.model,
            messages: request.messages,
            max_tokens: request.maxTokens,
            stream: true,
            ...(request.json ? { response_format: { type: "json_object" as const } } : {}),
          },
          { signal: request.signal },
        )
        .withResponse();
      await remember(response.headers.get("x-generation-id"));
      let text = "";
      let model = request.model;
      let finishReason: string | null = null;
      let usage: OpenRouterUsage | undefined;
      for await (const chunk of stream) {
        await remember(chunk.id);
        if (chunk.model) model = chunk.model;
        const choice = chunk.choices[0];
        if (choice?.delta?.content) text += choice.delta.content;
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        if (chunk.usage) usage = chunk.usage;
      }
      const cost = await priced(usage, generationId ?? null, request.signal);
      return { generationId: generationId ?? null, model, text, finishReason, ...cost };
    } catch (error) {
      throw classifyOpenRouterError(error, generationId);
    }
  }

  /** The usage block's cost, or the generation endpoint's when the response left it out or reported nonsense. */
  async function priced(usage: OpenRouterUsage | undefined, generationId: string | null, signal: AbortSignal) {
    let cost = usageCost(usage);
    let costSource: "reported" | "lookup" = "reported";
    let tokens = tokenUsage(usage);
    if (cost.kind !== "known" && generationId) {
      const looked = await generationCost(generationId, signal);
      if (looked && (looked.cost.kind === "known" || cost.kind === "missing")) {
        cost = looked.cost;
        costSource = "lookup";
        if (tokens.promptTokens === null) tokens = looked.usage;
      }
    }
    return { cost, costSource, usage: tokens };
  }

  async function embed(request: EmbeddingRequest): Promise<Embeddings> {
    let generationId: string | null = null;
    try {
      const { data, response } = await client.embeddings
        // Plain floats: the client would otherwise ask for base64, which not every OpenRouter upstream honours.
        .create({ model: request.model, input: request.input, encoding_format: "float" }, { signal: request.signal })
        .withResponse();
      generationId = response.headers.get("x-generation-id") ?? (data as { id?: string }).id ?? null;
      if (generationId) await request.onProviderRef(generationId);
      const vectors = [...data.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
      const cost = await priced(data.usage, generationId, request.signal);
      return { generationId, model: data.model ?? request.model, vectors, ...cost };
    } catch (error) {
      throw classifyOpenRouterError(error, generationId ?? undefined);
    }
  }

  async function listModels(signal?: AbortSignal): Promise<ListedModel[]> {
    const body = (await client.get("/models", { signal, maxRetries: 2 })) as {
      data?: { id?: string; pricing?: ListedPricing; top_provider?: { max_completion_tokens?: number | null } }[];
    };
    // Prices are decimal strings; anything else is kept as text for the price rules to refuse.
    const price = (value: unknown) => (value === undefined || value === null ? "0" : typeof value === "string" ? value : JSON.stringify(value));
    return (body.data ?? []).flatMap((m) =>
      m.id && m.pricing?.prompt !== undefined && m.pricing.completion !== undefined
        ? [
            {
              id: m.id,
              promptUsd: price(m.pricing.prompt),
              completionUsd: price(m.pricing.completion),
              requestUsd: price(m.pricing.request),
              inputCacheReadUsd: price(m.pricing.input_cache_read),
              inputCacheWriteUsd: price(m.pricing.input_cache_write),
              internalReasoningUsd: price(m.pricing.internal_reasoning),
              webSearchUsd: price(m.pricing.web_search),
              maxCompletionTokens: m.top_provider?.max_completion_tokens ?? null,
            },
          ]
        : [],
    );
  }

  async function costOf(generationId: string): Promise<RefCost> {
    try {
      const found = await generationCost(generationId);
      if (!found) return { kind: "not_found", why: `OpenRouter does not know generation ${generationId} (yet)` };
      return refCostOf(found.cost, `OpenRouter reported no cost for ${generationId}`, found.model, found.usage);
    } catch (error) {
      return { kind: "unknown", why: `cannot ask OpenRouter about ${generationId}: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  return { chat, embed, listModels, costOf };
}
