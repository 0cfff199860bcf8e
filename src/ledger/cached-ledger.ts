/**
 * The Ledger's reads that every paid call makes (its API key, its rate card,
 * its model's prices), served from the read cache (read-cache.ts) once a
 * server starts it, and the writes that change them: each of those writes
 * tells every other process in its own transaction, and drops its topic here
 * at once. ScriptedLedger extends it, so the money side stays in ledger.ts.
 */
import type { Feature } from "../features.js";
import * as accounts from "./core/accounts.js";
import * as calls from "./core/calls.js";
import * as keys from "./core/keys.js";
import * as prices from "./core/prices.js";
import { ReadCache, type CacheTopic } from "./read-cache.js";
import { run } from "./script.js";
import { TaskScripts } from "./task-ledger.js";
import type { ApiKeyRecord, ModelPriceOverride, ModelPriceRecord, RateCardPatch } from "./types.js";

export interface CacheOptions {
  /** How long an entry may serve without news of a change (ECN_CACHE_TTL_MS); 0 caches nothing. */
  ttlMs: number;
  /** Told when caching stops (the store's changes can no longer be heard) and when it resumes. */
  note: (on: boolean, reason: string) => void;
}

export class CachedScripts extends TaskScripts {
  readonly cache = new ReadCache();

  /** Starts serving the paid-call reads from memory (servers only: a one-off verb reads the store). */
  async startCache(options: CacheOptions): Promise<void> {
    if (options.ttlMs > 0) await this.cache.start(this.engine.changeFeed(), options.ttlMs, options.note);
  }

  /** A write of cached data: other processes hear of it with its COMMIT, this one drops the topic once committed. */
  private async changing<T>(topic: CacheTopic, write: Promise<T>): Promise<T> {
    try {
      return await write;
    } finally {
      // Even a failed write may have committed (a connection lost during COMMIT): drop the topic either way.
      this.cache.changed(topic);
    }
  }

  // rate cards
  getRateCard(feature: Feature) {
    return this.cache.get("rate_cards", feature, () => this.engine.read(() => calls.requireRateCard(feature)));
  }
  updateRateCard(feature: Feature, patch: RateCardPatch, now: number) {
    return this.changing(
      "rate_cards",
      this.engine.write(() => accounts.updateRateCard(feature, patch, now), "rate_cards"),
    );
  }

  // API keys
  createApiKey(key: Omit<ApiKeyRecord, "lastUsedAt" | "revokedAt">) {
    return this.engine.write(() => keys.createApiKey(key));
  }
  listApiKeys(orgId?: string) {
    return this.engine.read(() => keys.listApiKeys(orgId));
  }
  keyHolder(keyHash: string) {
    // An unknown key is not kept: a key created elsewhere works at once, and random tokens cannot fill the cache.
    return this.cache.get(
      "keys",
      keyHash,
      () => this.engine.read(() => keys.keyHolder(keyHash)),
      (holder) => holder !== null,
    );
  }
  async revokeApiKey(keyId: string, now: number) {
    // A transaction (not a lone statement), so the notification is sent with its COMMIT.
    return (
      (await this.changing(
        "keys",
        this.engine.write(() => run(keys.revokeKey, { now, id: keyId }), "keys"),
      )) > 0
    );
  }
  async touchApiKey(keyId: string, now: number, minIntervalMs: number) {
    // "Last used" is advisory and throttled per process (accounts/api-keys.ts): a cached copy may lag it.
    await this.engine.writeOne(keys.touchKey, { now, id: keyId, before: now - minIntervalMs });
  }

  // model prices: OpenRouter's list (kept by the metering core, which reloads it when the stamp moves) and the operator's
  loadModelPrices() {
    return this.engine.read(() => prices.loadModelPrices());
  }
  /** What identifies the stored list ("count:fetched_at"): the metering core reloads the list when it moves. */
  modelPriceListStamp() {
    return this.cache.get("prices", "stamp", () => this.engine.read(() => prices.modelPriceListStamp()));
  }
  saveModelPrices(list: ModelPriceRecord[]) {
    return this.changing(
      "prices",
      this.engine.write(() => prices.saveModelPrices(list), "prices"),
    );
  }
  async modelPriceOverride(model: string) {
    // Uncached, one row; cached, every operator price at once (there are few), so a model without one is a hit too.
    if (!this.cache.serving) return this.engine.read(() => prices.modelPriceOverride(model));
    const all = await this.cache.get("prices", "overrides", async () => new Map((await this.listModelPriceOverrides()).map((o) => [o.model, o])));
    return all.get(model) ?? null;
  }
  listModelPriceOverrides() {
    return this.engine.read(() => prices.listModelPriceOverrides());
  }
  setModelPriceOverride(price: ModelPriceOverride) {
    return this.changing(
      "prices",
      this.engine.write(() => prices.setModelPriceOverride(price), "prices"),
    );
  }
  removeModelPriceOverride(model: string) {
    return this.changing(
      "prices",
      this.engine.write(() => prices.removeModelPriceOverride(model), "prices"),
    );
  }

  async close() {
    await this.cache.close();
    await this.engine.close();
  }
}
