/** Price list and reply text of the simulated OpenRouter. */
import { nanoToUsd, nanoToUsdText, parseDecimal, usdToNano } from "../money.js";
import type { ChatBody } from "./openrouter-types.js";

export interface ModelPrice {
  /** USD per prompt token, as OpenRouter's /models lists it (a decimal string; "-1" for a router). */
  prompt: string;
  completion: string;
  /** USD per request. */
  request?: string;
  /** USD per reasoning token, for models that think before they answer. */
  internal_reasoning?: string;
  input_cache_read?: string;
  input_cache_write?: string;
  /** USD per web search result. */
  web_search?: string;
}

/** The models the simulator serves and lists, with prices shaped like OpenRouter's. */
export const MODEL_PRICES: Record<string, ModelPrice> = {
  "openai/gpt-4o-mini": { prompt: "0.00000015", completion: "0.0000006", input_cache_read: "0.000000075" },
  "openai/gpt-4o": { prompt: "0.0000025", completion: "0.00001", input_cache_read: "0.00000125" },
  "anthropic/claude-3.5-haiku": { prompt: "0.0000008", completion: "0.000004", input_cache_read: "0.00000008", input_cache_write: "0.000001" },
  "anthropic/claude-sonnet-4": { prompt: "0.000003", completion: "0.000015", input_cache_read: "0.0000003", input_cache_write: "0.00000375" },
  "meta-llama/llama-3.1-8b-instruct": { prompt: "0.00000002", completion: "0.00000005" },
  "meta-llama/llama-3.1-8b-instruct:free": { prompt: "0", completion: "0" },
  "deepseek/deepseek-r1": { prompt: "0.0000004", completion: "0.000002", internal_reasoning: "0.000004" },
  "perplexity/sonar": { prompt: "0.000001", completion: "0.000001", request: "0.005", web_search: "0.005" },
  "openai/text-embedding-3-small": { prompt: "0.00000002", completion: "0" },
  // A router: listed at -1 because its price is that of the model it picks.
  "openrouter/auto": { prompt: "-1", completion: "-1" },
};

/** The model `openrouter/auto` routes every request to (the priciest one here, as a router may). */
export const ROUTED_TO = "anthropic/claude-sonnet-4";
/** Results the `:online` web plugin fetches per request, each billed at `web_search` (default $0.004). */
const WEB_RESULTS = 5;
const DEFAULT_WEB_SEARCH_USD = "0.004";

/** How a requested model id is served: the model that answers, its price, and the web searches a request runs. */
export interface ServedModel {
  /** The model that answers (a router names the model it picked). */
  model: string;
  price: ModelPrice;
  webSearches: number;
}

const scaled = (text: string, numerator: bigint, denominator: bigint): string => {
  const d = parseDecimal(text);
  return nanoToUsdText(usdToNano({ units: (d.units * numerator + denominator - 1n) / denominator, scale: d.scale }));
};

/**
 * The model behind a requested id, as OpenRouter resolves it: a listed model;
 * a router's pick; or a dynamic variant of a listed model that /models does
 * not list (`:nitro` routes to faster providers at half as much again,
 * `:floor` to the cheapest, `:online` adds web search results). Anything
 * else is not a valid model (null).
 */
export function serveModel(id: string): ServedModel | null {
  if (id === "openrouter/auto") return { model: ROUTED_TO, price: MODEL_PRICES[ROUTED_TO]!, webSearches: 0 };
  const listed = MODEL_PRICES[id];
  if (listed) return { model: id, price: listed, webSearches: 0 };
  const [base = "", variant] = id.split(":");
  const price = MODEL_PRICES[base];
  if (!price || price.prompt.startsWith("-")) return null;
  if (variant === "floor") return { model: id, price, webSearches: 0 };
  if (variant === "nitro")
    return { model: id, price: { ...price, prompt: scaled(price.prompt, 3n, 2n), completion: scaled(price.completion, 3n, 2n) }, webSearches: 0 };
  if (variant === "online") return { model: id, price: { ...price, web_search: price.web_search ?? DEFAULT_WEB_SEARCH_USD }, webSearches: WEB_RESULTS };
  return null;
}

/** Roughly four characters a token, as tokenizers average on English text. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** Tokens a reasoning model spends thinking: whatever of max_tokens the visible answer leaves. */
export function reasoningTokens(price: ModelPrice, maxTokens: number, completionTokens: number): number {
  return price.internal_reasoning ? Math.max(0, maxTokens - completionTokens) : 0;
}

/** Exact price of a request, returned as the JSON number OpenRouter would send. */
export function priceUsd(price: ModelPrice, promptTokens: number, completionTokens: number, reasoning = 0, webSearches = 0): number {
  const cost = (perUnit: string | undefined, units: number) => {
    const d = parseDecimal(perUnit ?? "0");
    return usdToNano({ units: d.units * BigInt(units), scale: d.scale });
  };
  return nanoToUsd(
    cost(price.prompt, promptTokens) +
      cost(price.completion, completionTokens) +
      cost(price.internal_reasoning ?? price.completion, reasoning) +
      cost(price.request, 1) +
      cost(price.web_search, webSearches),
  );
}

/**
 * A deterministic, plausible reply. Asked for JSON (response_format
 * json_object), the simulated model answers with the example the system
 * prompt shows (our prompts end with one); otherwise it names the model and
 * echoes the gist of the last user message.
 */
/** A message's text: a string as it is, the text parts of a content array, anything else as JSON. */
export function messageText(content: unknown): string {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content.map((part) => ((part as { text?: unknown })?.text === undefined ? "" : messageText((part as { text?: unknown }).text))).join("");
  return JSON.stringify(content);
}

export function simulatedReply(body: ChatBody): string {
  if (body.response_format?.type === "json_object") {
    const system = (body.messages ?? [])
      .filter((m) => m.role === "system")
      .map((m) => messageText(m.content))
      .join("\n");
    const examples = [...system.matchAll(/```json\s*([\s\S]*?)```/g)];
    return examples.at(-1)?.[1]?.trim() ?? "{}";
  }
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const last = [...messages].reverse().find((m) => m.role === "user");
  const gist = messageText(last?.content).replace(/\s+/g, " ").trim().slice(0, 240);
  return [
    `## Draft (simulated by the ecn-mcp OpenRouter simulator, model ${String(body.model)})`,
    "",
    `Based on: ${gist}`,
    "",
    "This text was produced by a loopback simulator, not a language model.",
  ].join("\n");
}
