/**
 * OpenRouter's price list, for worst-case holds. Loaded from the ledger's
 * cache (so a restart needs no network), refreshed from `GET /models` when
 * older than a day: in the background when a list exists, in line (briefly)
 * when there is none yet.
 */
import type { Ledger, ModelPriceRecord } from "../ledger/index.js";
import type { Logger } from "../log.js";
import { parseDecimal, type Decimal } from "../money.js";
import type { OpenRouterProvider } from "../providers/openrouter.js";

export interface ModelPrice {
  model: string;
  /** USD per prompt token. */
  prompt: Decimal;
  /** USD per completion token. */
  completion: Decimal;
  /** USD per request. */
  request: Decimal;
}

export const PRICE_LIST_MAX_AGE_MS = 24 * 60 * 60 * 1000;
const FIRST_FETCH_TIMEOUT_MS = 5_000;

function toPrice(record: ModelPriceRecord): ModelPrice | null {
  try {
    return {
      model: record.model,
      prompt: parseDecimal(record.promptUsd),
      completion: parseDecimal(record.completionUsd),
      request: parseDecimal(record.requestUsd || "0"),
    };
  } catch {
    return null; // e.g. "-1": a router whose price depends on the model it picks
  }
}

export class ModelPrices {
  private prices: Map<string, ModelPrice> | null = null;
  private fetchedAt = 0;
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly ledger: Ledger,
    private readonly openrouter: OpenRouterProvider | undefined,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The model's price, or null when OpenRouter does not list one we can use. */
  async priceOf(model: string): Promise<ModelPrice | null> {
    if (this.prices === null) await this.loadCached();
    if (this.prices!.size === 0) await this.refresh(FIRST_FETCH_TIMEOUT_MS);
    else if (this.now() - this.fetchedAt > PRICE_LIST_MAX_AGE_MS) void this.refresh();
    return this.prices!.get(model) ?? null;
  }

  /** Loads the cached list and, when it is missing or stale, refreshes it in the background (at server start). */
  async warm(): Promise<void> {
    if (this.prices === null) await this.loadCached();
    if (this.prices!.size === 0 || this.now() - this.fetchedAt > PRICE_LIST_MAX_AGE_MS) void this.refresh();
  }

  private async loadCached(): Promise<void> {
    const records = await this.ledger.loadModelPrices();
    this.install(records);
  }

  private install(records: ModelPriceRecord[]): void {
    const prices = new Map<string, ModelPrice>();
    for (const record of records) {
      const price = toPrice(record);
      if (price) prices.set(record.model, price);
    }
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
        const records = listed.map((m) => ({
          model: m.id,
          promptUsd: m.promptUsd,
          completionUsd: m.completionUsd,
          requestUsd: m.requestUsd,
          maxCompletionTokens: m.maxCompletionTokens,
          fetchedAt,
        }));
        if (records.length === 0) return;
        await this.ledger.saveModelPrices(records);
        this.install(records);
        this.logger.info("model prices refreshed", { models: records.length });
      } catch (error) {
        this.logger.warn("could not refresh model prices; holds fall back to the rate card floor where a price is missing", {
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
