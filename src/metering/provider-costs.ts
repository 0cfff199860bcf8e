/**
 * Asking a provider, after the fact, what one request cost: OpenRouter's
 * generation endpoint, or the Apify run. Used when a live call could not
 * price a request itself and by the reconciler, so both read the providers'
 * answers the same way.
 */
import type { PaidProvider } from "../features.js";
import type { ApifyProvider } from "../providers/apify.js";
import type { OpenRouterProvider, TokenUsage } from "../providers/openrouter.js";

export interface ProviderAccess {
  openrouter?: OpenRouterProvider | undefined;
  apify?: ApifyProvider | undefined;
}

export type LookedUpCost =
  /** The provider's final word. */
  | { kind: "priced"; costNanoUsd: bigint; model: string | null; usage: TokenUsage }
  /** The provider answered with a cost no request can have: charge the hold instead. */
  | { kind: "impossible"; reported: string }
  /** An Apify run still going: its cost is not final yet. */
  | { kind: "running" }
  /** The provider does not know the reference (yet), or could not be asked. */
  | { kind: "unknown"; why: string };

const NO_TOKENS: TokenUsage = { promptTokens: null, completionTokens: null, totalTokens: null };

/** What the provider says one request cost. Never throws: a failed lookup is `unknown`. */
export async function lookUpCost(providers: ProviderAccess, provider: PaidProvider, ref: string): Promise<LookedUpCost> {
  try {
    if (provider === "openrouter") {
      if (!providers.openrouter) return { kind: "unknown", why: "OpenRouter is not configured" };
      const found = await providers.openrouter.generationCost(ref);
      if (!found || found.cost.kind === "missing") return { kind: "unknown", why: `OpenRouter does not know ${ref} yet` };
      if (found.cost.kind === "impossible") return { kind: "impossible", reported: found.cost.reported };
      return { kind: "priced", costNanoUsd: found.cost.nanoUsd, model: found.model, usage: found.usage };
    }
    if (!providers.apify) return { kind: "unknown", why: "Apify is not configured" };
    const run = await providers.apify.runCost(ref);
    if (!run) return { kind: "unknown", why: `Apify does not know run ${ref}` };
    if (!run.finished) return { kind: "running" };
    if (run.cost.kind === "impossible") return { kind: "impossible", reported: run.cost.reported };
    if (run.cost.kind === "missing") return { kind: "unknown", why: `Apify reported no usageTotalUsd for run ${ref}` };
    return { kind: "priced", costNanoUsd: run.cost.nanoUsd, model: null, usage: NO_TOKENS };
  } catch (error) {
    return { kind: "unknown", why: `lookup failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}
