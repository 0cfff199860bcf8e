/** The simulated OpenRouter's embeddings endpoint. */
import type { ServerResponse } from "node:http";
import { sendJson } from "./http.js";
import { estimateTokens, MODEL_PRICES, priceUsd } from "./openrouter-content.js";
import type { ChatBody, Generation, OpenRouterBehaviour, SimulatedRequest } from "./openrouter-types.js";

export function sendEmbeddings(
  res: ServerResponse,
  body: ChatBody,
  id: string,
  model: string,
  behaviour: OpenRouterBehaviour,
  entry: SimulatedRequest,
  generations: Map<string, Generation>,
  lagMs: number,
) {
  const inputs = Array.isArray(body.input) ? body.input.map(String) : [String(body.input)];
  const promptTokens = inputs.reduce((sum, text) => sum + estimateTokens(text), 0);
  const prices = MODEL_PRICES[model]!;
  const costUsd = behaviour.costUsd ?? priceUsd(prices, promptTokens, 0);
  const reported = "reportedCost" in behaviour ? behaviour.reportedCost : costUsd;
  generations.set(id, {
    id,
    model,
    costUsd,
    reportedCost: reported,
    promptTokens,
    completionTokens: 0,
    visibleAt: Date.now() + lagMs,
    cancelled: false,
    streamed: false,
    byok: false,
  });
  entry.billedUsd = costUsd;
  sendJson(
    res,
    200,
    {
      object: "list",
      id,
      model,
      data: inputs.map((text, index) => ({ object: "embedding", index, embedding: encode(embed(text), body.encoding_format) })),
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens, ...(behaviour.omitCost ? {} : { cost: reported }) },
    },
    { "x-generation-id": id },
  );
}

/** A deterministic bag-of-words embedding: texts sharing words point the same way. */
export function embed(text: string, dimensions = 64): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    let hash = 2166136261;
    for (const ch of word) hash = Math.imul(hash ^ ch.charCodeAt(0), 16777619);
    vector[Math.abs(hash) % dimensions]! += 1;
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((v) => v / norm);
}

/** OpenAI-compatible encodings: float arrays, or base64 of little-endian float32 when asked. */
function encode(vector: number[], format: unknown): number[] | string {
  if (format !== "base64") return vector;
  return Buffer.from(new Float32Array(vector).buffer).toString("base64");
}
