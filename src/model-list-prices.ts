/**
 * The price components OpenRouter lists for a model, as exact decimal USD
 * strings ("0" where a component is not listed; a negative price marks a
 * router). The provider adapter reads them, the ledger caches them, the
 * metering core turns them into worst-case prices: one shape for all three.
 */
export interface ModelListPrices {
  /** Per prompt token. */
  promptUsd: string;
  /** Per completion token. */
  completionUsd: string;
  /** Per request. */
  requestUsd: string;
  /** Per prompt token read from or written to the provider's cache. */
  inputCacheReadUsd: string;
  inputCacheWriteUsd: string;
  /** Per reasoning token. */
  internalReasoningUsd: string;
  /** Per web search result. */
  webSearchUsd: string;
  maxCompletionTokens: number | null;
}
