/**
 * The paid providers as the servers hold them: each client package (openai,
 * apify-client, together most of a server's start-up) loads at the
 * provider's first request instead of when the server starts, so an MCP
 * client's `initialize` is answered without waiting for them and a session
 * that never calls a provider never loads its package.
 */
import type { ApifyOptions, ApifyProvider } from "./apify.js";
import type { OpenRouterAudit } from "./openrouter-audit.js";
import type { OpenRouterOptions, OpenRouterProvider } from "./openrouter.js";

type AsyncMethods<P> = { [K in keyof P]: P[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof P];

/**
 * A provider built by `make` at its first call. `methods` names every method
 * (tsc checks the list is whole: each interface method is a key).
 */
function onFirstUse<P>(make: () => Promise<P>, methods: { [K in AsyncMethods<P>]: true }): P {
  let provider: Promise<P> | undefined;
  const load = () => (provider ??= make());
  const calls = Object.keys(methods).map((name) => [
    name,
    async (...args: unknown[]) => ((await load())[name as keyof P] as (...args: unknown[]) => Promise<unknown>)(...args),
  ]);
  return Object.fromEntries(calls) as P;
}

/** OpenRouter (openai loads at the first request). */
export function lazyOpenRouter(options: OpenRouterOptions): OpenRouterProvider {
  return onFirstUse(async () => (await import("./openrouter.js")).createOpenRouter(options), { chat: true, embed: true, listModels: true, costOf: true });
}

/** OpenRouter's own account of the key's spend (openai loads at the first question). */
export function lazyOpenRouterAudit(options: { apiKey: string; baseUrl: string }): OpenRouterAudit {
  return onFirstUse(async () => (await import("./openrouter-audit.js")).createOpenRouterAudit(options), { keyUsage: true, activity: true, generation: true });
}

/** Apify (apify-client loads at the first run or cost lookup). */
export function lazyApify(options: ApifyOptions): ApifyProvider {
  return onFirstUse(async () => (await import("./apify.js")).createApify(options), { runActor: true, minimumChargeNanoUsd: true, costOf: true, abandon: true });
}
