/** Price list and reply text of the simulated OpenRouter. */
import { nanoToUsd, parseDecimal, usdToNano } from "../money.js";
import type { ChatBody } from "./openrouter.js";

export interface ModelPrice {
  /** USD per prompt token, as OpenRouter's /models lists it (a decimal string). */
  prompt: string;
  completion: string;
}

/** The models the simulator serves, with prices shaped like OpenRouter's. */
export const MODEL_PRICES: Record<string, ModelPrice> = {
  "openai/gpt-4o-mini": { prompt: "0.00000015", completion: "0.0000006" },
  "openai/gpt-4o": { prompt: "0.0000025", completion: "0.00001" },
  "anthropic/claude-3.5-haiku": { prompt: "0.0000008", completion: "0.000004" },
  "anthropic/claude-sonnet-4": { prompt: "0.000003", completion: "0.000015" },
  "meta-llama/llama-3.1-8b-instruct": { prompt: "0.00000002", completion: "0.00000005" },
  "openai/text-embedding-3-small": { prompt: "0.00000002", completion: "0" },
};

/** Roughly four characters a token, as tokenizers average on English text. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** Exact price of a request, returned as the JSON number OpenRouter would send. */
export function priceUsd(price: ModelPrice, promptTokens: number, completionTokens: number): number {
  const cost = (perToken: string, tokens: number) => {
    const d = parseDecimal(perToken);
    return usdToNano({ units: d.units * BigInt(tokens), scale: d.scale });
  };
  return nanoToUsd(cost(price.prompt, promptTokens) + cost(price.completion, completionTokens));
}

/**
 * A deterministic, plausible reply. Asked for JSON (response_format
 * json_object), the simulated model answers with the example the system
 * prompt shows (our prompts end with one); otherwise it names the model and
 * echoes the gist of the last user message.
 */
export function simulatedReply(body: ChatBody): string {
  if (body.response_format?.type === "json_object") {
    const system = (body.messages ?? []).filter((m) => m.role === "system").map((m) => String(m.content ?? "")).join("\n");
    const examples = [...system.matchAll(/```json\s*([\s\S]*?)```/g)];
    return examples.at(-1)?.[1]?.trim() ?? "{}";
  }
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const last = [...messages].reverse().find((m) => m.role === "user");
  const gist = String(last?.content ?? "").replace(/\s+/g, " ").trim().slice(0, 240);
  return [
    `## Draft (simulated by the ecn-mcp OpenRouter simulator, model ${String(body.model)})`,
    "",
    `Based on: ${gist}`,
    "",
    "This text was produced by a loopback simulator, not a language model.",
  ].join("\n");
}
