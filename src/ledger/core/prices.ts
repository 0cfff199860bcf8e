/**
 * The model price cache, the operator's prices, the free-data query log and
 * the health row, once for both stores.
 */
import { newId } from "../../ids.js";
import { toModelPrice, toPriceOverride } from "../rows.js";
import { all, get, run, type Script } from "../script.js";
import { idempotentStatement, p, statement } from "../sql.js";
import type { DataQueryInput, ModelPriceOverride, ModelPriceRecord } from "../types.js";

const loadPrices = statement("load_model_prices", "SELECT * FROM model_prices", {}, toModelPrice);
// Two instances saving the list at once (starting together) both clear and insert; a row the other one inserted after
// this clear's snapshot is updated, not a duplicate key (which made one of them log that it could not keep the list).
const clearPrices = statement("clear_model_prices", "DELETE FROM model_prices", {});
const insertPrice = statement(
  "insert_model_price",
  `INSERT INTO model_prices (model, prompt_usd, completion_usd, request_usd, input_cache_read_usd, input_cache_write_usd,
     internal_reasoning_usd, web_search_usd, max_completion_tokens, fetched_at)
   VALUES (@model, @prompt, @completion, @request, @cacheRead, @cacheWrite, @reasoning, @webSearch, @maxCompletionTokens, @fetchedAt)
   ON CONFLICT (model) DO UPDATE SET prompt_usd = excluded.prompt_usd, completion_usd = excluded.completion_usd,
     request_usd = excluded.request_usd, input_cache_read_usd = excluded.input_cache_read_usd,
     input_cache_write_usd = excluded.input_cache_write_usd, internal_reasoning_usd = excluded.internal_reasoning_usd,
     web_search_usd = excluded.web_search_usd, max_completion_tokens = excluded.max_completion_tokens, fetched_at = excluded.fetched_at`,
  {
    model: p.text,
    prompt: p.text,
    completion: p.text,
    request: p.text,
    cacheRead: p.text,
    cacheWrite: p.text,
    reasoning: p.text,
    webSearch: p.text,
    maxCompletionTokens: p.intOrNull,
    fetchedAt: p.int,
  },
);
/** What identifies the stored list: how many models, fetched when (a save replaces every row with one fetch time). */
const listStamp = statement(
  "model_price_list_stamp",
  "SELECT count(*) AS n, max(fetched_at) AS at FROM model_prices",
  {},
  // count and max come back as numbers (SQLite) or digit strings (PostgreSQL): the same text either way.
  (row) => `${Number(row.n)}:${Number(row.at ?? 0)}`,
);
const overrideOf = statement("model_price_override", "SELECT * FROM model_price_overrides WHERE model = @model", { model: p.text }, toPriceOverride);
const listOverrides = statement("list_model_price_overrides", "SELECT * FROM model_price_overrides ORDER BY model", {}, toPriceOverride);
const upsertOverride = statement(
  "upsert_model_price_override",
  `INSERT INTO model_price_overrides (model, prompt_usd, completion_usd, request_usd, note, updated_at)
   VALUES (@model, @prompt, @completion, @request, @note, @now)
   ON CONFLICT (model) DO UPDATE SET prompt_usd = excluded.prompt_usd, completion_usd = excluded.completion_usd,
     request_usd = excluded.request_usd, note = excluded.note, updated_at = excluded.updated_at`,
  { model: p.text, prompt: p.text, completion: p.text, request: p.text, note: p.textOrNull, now: p.int },
);
const deleteOverride = statement("delete_model_price_override", "DELETE FROM model_price_overrides WHERE model = @model", { model: p.text });
const insertQuery = statement(
  "insert_data_query",
  `INSERT INTO data_query_log (id, org_id, source, dataset, query, row_count, created_at)
   VALUES (@id, @orgId, @source, @dataset, @query, @rowCount, @now)`,
  { id: p.text, orgId: p.text, source: p.text, dataset: p.text, query: p.text, rowCount: p.int, now: p.int },
);
export const touchHealth = idempotentStatement(
  "touch_health",
  "INSERT INTO ledger_health (id, checked_at) VALUES (1, @now) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
  { now: p.int },
);

export function loadModelPrices(): Script<ModelPriceRecord[]> {
  return all(loadPrices);
}

export function* modelPriceListStamp(): Script<string> {
  return (yield* get(listStamp)) ?? "0:0";
}

export function* saveModelPrices(prices: ModelPriceRecord[]): Script<void> {
  yield* run(clearPrices);
  for (const price of prices) {
    yield* run(insertPrice, {
      model: price.model,
      prompt: price.promptUsd,
      completion: price.completionUsd,
      request: price.requestUsd,
      cacheRead: price.inputCacheReadUsd,
      cacheWrite: price.inputCacheWriteUsd,
      reasoning: price.internalReasoningUsd,
      webSearch: price.webSearchUsd,
      maxCompletionTokens: price.maxCompletionTokens,
      fetchedAt: price.fetchedAt,
    });
  }
}

export function* modelPriceOverride(model: string): Script<ModelPriceOverride | null> {
  return (yield* get(overrideOf, { model })) ?? null;
}

export function listModelPriceOverrides(): Script<ModelPriceOverride[]> {
  return all(listOverrides);
}

export function* setModelPriceOverride(price: ModelPriceOverride): Script<ModelPriceOverride> {
  yield* run(upsertOverride, {
    model: price.model,
    prompt: price.promptUsd,
    completion: price.completionUsd,
    request: price.requestUsd,
    note: price.note,
    now: price.updatedAt,
  });
  return price;
}

export function* removeModelPriceOverride(model: string): Script<boolean> {
  return (yield* run(deleteOverride, { model })) > 0;
}

export function* logDataQuery(entry: DataQueryInput): Script<void> {
  yield* run(insertQuery, {
    id: newId("dq"),
    orgId: entry.orgId,
    source: entry.source,
    dataset: entry.dataset,
    query: entry.query,
    rowCount: entry.rowCount,
    now: entry.now,
  });
}
