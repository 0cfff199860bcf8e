/**
 * Asking a provider, after the fact, what one request cost: each adapter's
 * `costOf` (OpenRouter's generation endpoint, the Apify run). Used when a
 * live call could not price a request itself and by the reconciler, so both
 * read the providers' answers the same way.
 */
import type { PaidProvider } from "../features.js";
import type { ApifyProvider } from "../providers/apify.js";
import type { RefCost } from "../providers/cost.js";
import type { OpenRouterProvider } from "../providers/openrouter.js";

export type { RefCost };

export interface ProviderAccess {
  openrouter?: OpenRouterProvider | undefined;
  apify?: ApifyProvider | undefined;
}

const NOT_CONFIGURED: Record<PaidProvider, RefCost> = {
  openrouter: { kind: "unknown", why: "OpenRouter is not configured on this server" },
  apify: { kind: "unknown", why: "Apify is not configured on this server" },
};

/** What the provider says one request cost. Never throws: a failed lookup is `unknown`. */
export function lookUpCost(providers: ProviderAccess, provider: PaidProvider, ref: string): Promise<RefCost> {
  const adapter = providers[provider];
  return adapter ? adapter.costOf(ref) : Promise.resolve(NOT_CONFIGURED[provider]);
}

/**
 * The same for a request whose results nobody will receive: an Apify run
 * still going is aborted first (it would only burn money), then priced once
 * final. An LLM generation cannot be stopped; it is only looked up.
 */
export function abandonRequest(providers: ProviderAccess, provider: PaidProvider, ref: string, waitSecs: number): Promise<RefCost> {
  if (provider === "apify" && providers.apify) return providers.apify.abandon(ref, waitSecs);
  return lookUpCost(providers, provider, ref);
}
