/** Margin and export queries: plain SQL over the ledger, aggregated or streamed by SQLite. */
import type Database from "better-sqlite3";
import type { Feature } from "../features.js";
import type { FeatureMargin, MarginQuery, UsageEventRecord, UsageFilter } from "./store.js";

type Row = Record<string, unknown>;

function window(column: string, query: { since?: number; until?: number; orgId?: string }, orgColumn: string) {
  const clauses: string[] = [];
  const params: (number | string)[] = [];
  if (query.since !== undefined) (clauses.push(`${column} >= ?`), params.push(query.since));
  if (query.until !== undefined) (clauses.push(`${column} < ?`), params.push(query.until));
  if (query.orgId !== undefined) (clauses.push(`${orgColumn} = ?`), params.push(query.orgId));
  return { where: clauses.length ? clauses.join(" AND ") : "1", params };
}

export function featureMargins(sqlite: Database.Database, query: MarginQuery): FeatureMargin[] {
  const settled = window("e.settled_at", query, "e.org_id");
  const rows = sqlite
    .prepare(
      // Self-hosted calls are counted apart: the operator paid their provider cost directly.
      `SELECT e.feature AS feature,
              count(DISTINCT CASE WHEN hosted THEN e.tool_call_id END) AS calls,
              coalesce(sum(hosted), 0) AS events,
              coalesce(sum(CASE WHEN hosted THEN e.cost_nano_usd ELSE 0 END), 0) AS cost,
              coalesce(sum(CASE WHEN hosted THEN e.charged_micro_credits ELSE 0 END), 0) AS charged,
              coalesce(sum(e.estimated), 0) AS estimated,
              coalesce(sum(e.over_hold), 0) AS over_hold,
              coalesce(sum(NOT hosted), 0) AS self_host
         FROM (SELECT e.*, (c.deployment_mode = 'hosted') AS hosted
                 FROM usage_events e JOIN tool_calls c ON c.id = e.tool_call_id) e
        WHERE ${settled.where}
        GROUP BY e.feature`,
    )
    .safeIntegers(true)
    .all(...settled.params) as Row[];
  const opened = window("created_at", query, "org_id");
  const open = sqlite
    .prepare(`SELECT feature, count(*) AS n FROM tool_calls WHERE state IN ('held', 'dispatched', 'unknown') AND ${opened.where} GROUP BY feature`)
    .safeIntegers(true)
    .all(...opened.params) as Row[];
  const byFeature = new Map<string, FeatureMargin>();
  const blank = (feature: string): FeatureMargin => ({
    feature: feature as Feature,
    calls: 0,
    events: 0,
    costNanoUsd: 0n,
    chargedMicroCredits: 0n,
    estimatedEvents: 0,
    overHoldEvents: 0,
    openCalls: 0,
    selfHostEvents: 0,
  });
  for (const row of rows) {
    byFeature.set(String(row.feature), {
      ...blank(String(row.feature)),
      calls: Number(row.calls),
      events: Number(row.events),
      costNanoUsd: row.cost as bigint,
      chargedMicroCredits: row.charged as bigint,
      estimatedEvents: Number(row.estimated),
      overHoldEvents: Number(row.over_hold),
      selfHostEvents: Number(row.self_host),
    });
  }
  for (const row of open) {
    const entry = byFeature.get(String(row.feature)) ?? blank(String(row.feature));
    entry.openCalls = Number(row.n);
    byFeature.set(entry.feature, entry);
  }
  return [...byFeature.values()].sort((a, b) => a.feature.localeCompare(b.feature));
}

const USAGE_COLUMNS = `id, tool_call_id, org_id, feature, provider, model, provider_request_id, outcome, prompt_tokens,
  completion_tokens, total_tokens, cost_nano_usd, cost_source, markup, credit_usd_value, charged_micro_credits,
  metered_micro_credits, over_hold, estimated, price_unknown, created_at, settled_at`;

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function toRecord(row: Row): UsageEventRecord {
  return {
    id: String(row.id),
    toolCallId: String(row.tool_call_id),
    orgId: String(row.org_id),
    feature: row.feature as Feature,
    provider: row.provider as UsageEventRecord["provider"],
    model: (row.model as string | null) ?? null,
    providerRequestId: (row.provider_request_id as string | null) ?? null,
    outcome: row.outcome as UsageEventRecord["outcome"],
    promptTokens: num(row.prompt_tokens),
    completionTokens: num(row.completion_tokens),
    totalTokens: num(row.total_tokens),
    costNanoUsd: row.cost_nano_usd as bigint,
    costSource: row.cost_source as UsageEventRecord["costSource"],
    markup: String(row.markup),
    creditUsdValue: String(row.credit_usd_value),
    chargedMicroCredits: row.charged_micro_credits as bigint,
    meteredMicroCredits: row.metered_micro_credits as bigint,
    overHold: Number(row.over_hold) === 1,
    estimated: Number(row.estimated) === 1,
    priceUnknown: Number(row.price_unknown) === 1,
    createdAt: Number(row.created_at),
    settledAt: Number(row.settled_at),
  };
}

export function* iterateUsage(sqlite: Database.Database, filter: UsageFilter): Generator<UsageEventRecord> {
  const scope = window("settled_at", filter, "org_id");
  const where = filter.feature ? `${scope.where} AND feature = ?` : scope.where;
  const params = filter.feature ? [...scope.params, filter.feature] : scope.params;
  const statement = sqlite.prepare(`SELECT ${USAGE_COLUMNS} FROM usage_events WHERE ${where} ORDER BY settled_at, id`).safeIntegers(true);
  for (const row of statement.iterate(...params)) yield toRecord(row as Row);
}
