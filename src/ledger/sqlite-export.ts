/** The usage export: events streamed one row at a time straight from SQLite. */
import type Database from "better-sqlite3";
import type { Feature } from "../features.js";
import type { UsageEventRecord, UsageFilter } from "./store.js";

type Row = Record<string, unknown>;

function window(column: string, query: { since?: number; until?: number; orgId?: string }, orgColumn: string) {
  const clauses: string[] = [];
  const params: (number | string)[] = [];
  if (query.since !== undefined) (clauses.push(`${column} >= ?`), params.push(query.since));
  if (query.until !== undefined) (clauses.push(`${column} < ?`), params.push(query.until));
  if (query.orgId !== undefined) (clauses.push(`${orgColumn} = ?`), params.push(query.orgId));
  return { where: clauses.length ? clauses.join(" AND ") : "1", params };
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
