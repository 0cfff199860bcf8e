/**
 * The ledger's side of `ecn-mcp audit-costs`, once for both stores: what each
 * provider's requests cost by the day they were sent, the requests
 * themselves, and the providers' usage snapshots. Costs count every event of
 * the provider whatever its organisation, deployment mode or call state: a
 * provider bills the key, not an organisation.
 */
import type { PaidProvider } from "../../features.js";
import type { ProviderDayCost, ProviderWindow, RecordedRequest, UsageSnapshot } from "../audit-types.js";
import { toSnapshot } from "../rows.js";
import { all, get, run, type Script } from "../script.js";
import { asBigInt, asNumber, p, statement } from "../sql.js";

const DAY_MS = 86_400_000;

const insertSnapshot = statement(
  "insert_usage_snapshot",
  `INSERT INTO provider_usage_snapshots (id, provider, taken_at, usage_nano_usd, reason) VALUES (@id, @provider, @takenAt, @usage, @reason)`,
  { id: p.text, provider: p.text, takenAt: p.int, usage: p.money, reason: p.text },
);
const snapshotBefore = statement(
  "usage_snapshot_before",
  "SELECT * FROM provider_usage_snapshots WHERE provider = @provider AND taken_at <= @at ORDER BY taken_at DESC, id DESC LIMIT 1",
  { provider: p.text, at: p.int },
  toSnapshot,
);
const firstSnapshot = statement(
  "usage_snapshot_first_in",
  "SELECT * FROM provider_usage_snapshots WHERE provider = @provider AND taken_at >= @from AND taken_at < @to ORDER BY taken_at, id LIMIT 1",
  { provider: p.text, from: p.int, to: p.int },
  toSnapshot,
);
const costByDay = statement(
  "provider_cost_by_day",
  `SELECT created_at - (created_at % ${DAY_MS}) AS day, count(*) AS events, sum(cost_nano_usd) AS cost,
          sum(estimated) AS estimated, sum(CASE WHEN estimated = 1 THEN cost_nano_usd ELSE 0 END) AS estimated_cost
     FROM usage_events WHERE provider = @provider AND created_at >= @from AND created_at < @to
    GROUP BY created_at - (created_at % ${DAY_MS}) ORDER BY 1`,
  { provider: p.text, from: p.int, to: p.int },
  (row): ProviderDayCost => ({
    day: asNumber(row.day),
    events: asNumber(row.events),
    costNanoUsd: asBigInt(row.cost),
    estimatedEvents: asNumber(row.estimated),
    estimatedNanoUsd: asBigInt(row.estimated_cost),
  }),
);
const requests = statement(
  "provider_requests",
  `SELECT provider_request_id, tool_call_id, cost_nano_usd, estimated, created_at FROM usage_events
    WHERE provider = @provider AND created_at >= @from AND created_at < @to AND provider_request_id IS NOT NULL
    ORDER BY created_at, id`,
  { provider: p.text, from: p.int, to: p.int },
  (row): RecordedRequest => ({
    ref: String(row.provider_request_id),
    toolCallId: String(row.tool_call_id),
    costNanoUsd: asBigInt(row.cost_nano_usd),
    estimated: asNumber(row.estimated) === 1,
    createdAt: asNumber(row.created_at),
  }),
);

export function* recordUsageSnapshot(snapshot: UsageSnapshot): Script<void> {
  yield* run(insertSnapshot, {
    id: snapshot.id,
    provider: snapshot.provider,
    takenAt: snapshot.takenAt,
    usage: snapshot.usageNanoUsd,
    reason: snapshot.reason,
  });
}

export function* snapshotAtOrBefore(provider: PaidProvider, at: number): Script<UsageSnapshot | null> {
  return (yield* get(snapshotBefore, { provider, at })) ?? null;
}

export function* firstSnapshotIn(provider: PaidProvider, from: number, to: number): Script<UsageSnapshot | null> {
  return (yield* get(firstSnapshot, { provider, from, to })) ?? null;
}

export function providerCostByDay(window: ProviderWindow): Script<ProviderDayCost[]> {
  return all(costByDay, { ...window });
}

export function providerRequests(window: ProviderWindow): Script<RecordedRequest[]> {
  return all(requests, { ...window });
}
