/**
 * What a model may cost per token, for worst-case holds. The rule: a call
 * runs only on a model whose worst case is known.
 *
 *  - OpenRouter's price list (`GET /models`), cached in the ledger (a restart
 *    needs no network) and refreshed when older than a day: in the background
 *    when a list exists, in line (briefly) when there is none yet. Each token
 *    is counted at its dearest listed rate (a prompt token at the larger of
 *    the prompt and cache-write prices, a generated token at the larger of the
 *    completion and reasoning prices), plus per-request and web-search fees.
 *  - A router (listed with a negative price, such as `openrouter/auto`) is
 *    priced at the most expensive listed model, for it may route to any.
 *    Another server's refresh is seen through the stored list's stamp (its
 *    fetch time), read on every call from the ledger's read cache, which
 *    hears of every change: the list is loaded again when a newer one is stored.
 *  - The operator's own price (`ecn-mcp rate-card price set`), read on every
 *    call (from the same cache). Where OpenRouter lists the model too, the larger of the two prices
 *    counts, so a hold never falls below the list.
 *  - Anything else (a model the list does not name, such as a `:nitro`
 *    variant, or every model while no list could ever be loaded) has no price,
 *    and the call is refused before anything is held or sent.
 */
import type { Ledger, ModelPriceOverride, ModelPriceRecord } from "../ledger/index.js";
import type { Logger } from "../log.js";
import { compareDecimal, parseDecimal, type Decimal } from "../money.js";
import type { OpenRouterProvider } from "../providers/openrouter.js";

export interface ModelPrice {
  model: string;
  /** Worst-case USD per prompt token. */
  prompt: Decimal;
  /** Worst-case USD per generated token (reasoning tokens included). */
  completion: Decimal;
  /** USD per request, including the web searches a model may run by itself. */
  request: Decimal;
}

export type PriceLookup =
  | { kind: "priced"; price: ModelPrice; source: "list" | "router" | "operator" }
  /** The price list is loaded and does not name the model, and the operator gave it no price. */
  | { kind: "unlisted" }
  /** No price list could be loaded (and none is cached), and the operator gave the model no price. */
  | { kind: "list_unavailable" };

export const PRICE_LIST_MAX_AGE_MS = 24 * 60 * 60 * 1000;
const FIRST_FETCH_TIMEOUT_MS = 5_000;
/** OpenRouter's web search returns five results by default; each is billed at `web_search`. */
const WEB_SEARCHES_PER_REQUEST = 5n;

const larger = (a: Decimal, b: Decimal) => (compareDecimal(a, b) >= 0 ? a : b);
const times = (d: Decimal, n: bigint): Decimal => ({ units: d.units * n, scale: d.scale });
const plus = (a: Decimal, b: Decimal): Decimal => {
  const scale = Math.max(a.scale, b.scale);
  return { units: a.units * 10n ** BigInt(scale - a.scale) + b.units * 10n ** BigInt(scale - b.scale), scale };
};

/** The worst case of a listed model; "router" for a negative (routing) price; null when a price cannot be read. */
function fromList(record: ModelPriceRecord): ModelPrice | "router" | null {
  const texts = [
    record.promptUsd,
    record.completionUsd,
    record.requestUsd,
    record.inputCacheReadUsd,
    record.inputCacheWriteUsd,
    record.internalReasoningUsd,
    record.webSearchUsd,
  ];
  if (texts.some((t) => t.trim().startsWith("-"))) return "router";
  try {
    const [prompt, completion, request, cacheRead, cacheWrite, reasoning, webSearch] = texts.map((t): Decimal => parseDecimal(t || "0"));
    return {
      model: record.model,
      prompt: larger(larger(prompt!, cacheRead!), cacheWrite!),
      completion: larger(completion!, reasoning!),
      request: plus(request!, times(webSearch!, WEB_SEARCHES_PER_REQUEST)),
    };
  } catch {
    return null;
  }
}

function fromOperator(override: ModelPriceOverride): ModelPrice {
  return {
    model: override.model,
    prompt: parseDecimal(override.promptUsd),
    completion: parseDecimal(override.completionUsd),
    request: parseDecimal(override.requestUsd),
  };
}

/** Each component's larger price. */
function dearest(model: string, a: ModelPrice, b: ModelPrice): ModelPrice {
  return { model, prompt: larger(a.prompt, b.prompt), completion: larger(a.completion, b.completion), request: larger(a.request, b.request) };
}

export class ModelPrices {
  private prices: Map<string, { price: ModelPrice; router: boolean }> | null = null;
  private fetchedAt = 0;
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly ledger: Ledger,
    private readonly openrouter: OpenRouterProvider | undefined,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The model's worst-case price, or why it has none. */
  async lookup(model: string): Promise<PriceLookup> {
    const [override, stored] = await Promise.all([this.ledger.modelPriceOverride(model), this.ledger.modelPriceListStamp()]);
    // Another server stored a newer list (an older one, such as what a failed save left, never replaces this one).
    if (this.prices === null || Number(stored.split(":")[1]) > this.fetchedAt) await this.loadCached();
    if (this.prices!.size === 0) {
      if (override) void this.refresh();
      else await this.refresh(FIRST_FETCH_TIMEOUT_MS);
    } else if (this.now() - this.fetchedAt > PRICE_LIST_MAX_AGE_MS) void this.refresh();
    const listed = this.prices!.get(model);
    if (override) return { kind: "priced", price: listed ? dearest(model, listed.price, fromOperator(override)) : fromOperator(override), source: "operator" };
    if (listed) return { kind: "priced", price: listed.price, source: listed.router ? "router" : "list" };
    return this.prices!.size === 0 ? { kind: "list_unavailable" } : { kind: "unlisted" };
  }

  /** Loads the cached list and, when it is missing or stale, refreshes it in the background (at server start). */
  async warm(): Promise<void> {
    if (this.prices === null) await this.loadCached();
    if (this.prices!.size === 0 || this.now() - this.fetchedAt > PRICE_LIST_MAX_AGE_MS) void this.refresh();
  }

  private async loadCached(): Promise<void> {
    this.install(await this.ledger.loadModelPrices());
  }

  private install(records: ModelPriceRecord[]): void {
    const prices = new Map<string, { price: ModelPrice; router: boolean }>();
    const routers: string[] = [];
    let ceiling: ModelPrice | null = null;
    for (const record of records) {
      const price = fromList(record);
      if (price === "router") routers.push(record.model);
      else if (price) {
        prices.set(record.model, { price, router: false });
        ceiling = ceiling ? dearest("", ceiling, price) : price;
      }
    }
    for (const model of routers) if (ceiling) prices.set(model, { price: { ...ceiling, model }, router: true });
    this.prices = prices;
    this.fetchedAt = records.reduce((latest, r) => Math.max(latest, r.fetchedAt), 0);
  }

  /** Fetches the list once at a time; failures keep the old list and are logged. */
  refresh(timeoutMs = 30_000): Promise<void> {
    if (!this.openrouter) return Promise.resolve();
    const openrouter = this.openrouter;
    this.refreshing ??= (async () => {
      try {
        const listed = await openrouter.listModels(AbortSignal.timeout(timeoutMs));
        const fetchedAt = this.now();
        const records: ModelPriceRecord[] = listed.map(({ id, ...prices }) => ({ model: id, ...prices, fetchedAt }));
        if (records.length === 0) return;
        this.install(records);
        this.logger.info("model prices refreshed", { models: records.length });
        // Kept for the next start; a ledger that cannot take it does not make the list unusable now.
        await this.ledger
          .saveModelPrices(records)
          .catch((error: unknown) =>
            this.logger.warn("could not keep the model price list in the ledger", { error: error instanceof Error ? error.message : String(error) }),
          );
      } catch (error) {
        this.logger.warn("could not refresh model prices; models without a cached or operator price are refused", {
          error: error instanceof Error ? error.message : String(error),
        });
        this.prices ??= new Map();
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }
}
