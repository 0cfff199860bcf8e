/**
 * Worst-case cost of an LLM call, for its hold: every prompt token at the
 * prompt price plus max_tokens at the completion price. Prompt tokens are
 * bounded by UTF-8 bytes (byte-level BPE tokenizers never emit more tokens
 * than bytes) plus a per-message allowance, so the bound really is an upper
 * bound and a call can never cost more than its hold.
 */
import { usdToNano, type Decimal } from "../money.js";
import type { ModelPrice } from "./model-prices.js";
import { holdAmounts, type HoldAmounts, type PricingConfig } from "./pricing.js";

/** Tokens a chat prompt can cost at most: bytes plus framing per message. */
export function promptTokenBound(text: string, messages = 2): number {
  return Buffer.byteLength(text, "utf8") + 8 * messages + 8;
}

function times(price: Decimal, count: number): bigint {
  return usdToNano({ units: price.units * BigInt(count), scale: price.scale });
}

export interface LlmCostShape {
  price: ModelPrice;
  promptTokens: number;
  /** Extra worst-case cost outside the chat request (e.g. an embeddings request), nano-USD. */
  extraNanoUsd: bigint;
}

/** Worst-case nano-USD of the call at a given max_tokens. */
export function worstCaseNanoUsd(shape: LlmCostShape, maxTokens: number): bigint {
  return times(shape.price.prompt, shape.promptTokens) + times(shape.price.completion, maxTokens) + times(shape.price.request, 1) + shape.extraNanoUsd;
}

export function llmHold(floor: bigint, shape: LlmCostShape, maxTokens: number, pricing: PricingConfig): HoldAmounts {
  return holdAmounts(floor, worstCaseNanoUsd(shape, maxTokens), pricing);
}

/**
 * The largest max_tokens in [minimum, requested] whose hold fits in `room`
 * micro-credits, or null when even the minimum does not fit.
 */
export function fitMaxTokens(room: bigint, floor: bigint, shape: LlmCostShape, requested: number, minimum: number, pricing: PricingConfig): number | null {
  const fits = (maxTokens: number) => llmHold(floor, shape, maxTokens, pricing).hold <= room;
  if (!fits(minimum)) return null;
  let low = minimum;
  let high = requested;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(mid)) low = mid;
    else high = mid - 1;
  }
  return low;
}
