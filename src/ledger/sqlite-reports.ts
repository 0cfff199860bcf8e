/** Read-only usage reports over the SQLite ledger. */
import { and, desc, eq, gte, lt, or, sql } from "drizzle-orm";
import type { Feature } from "../features.js";
import type { LedgerConn } from "./open.js";
import { toUsageRecord } from "./rows.js";
import { usageEvents } from "./schema.js";
import type { FeatureTotal, UsageEventRecord, UsageQuery } from "./store.js";

export function recentUsage(db: LedgerConn, query: UsageQuery): UsageEventRecord[] {
  return db
    .select()
    .from(usageEvents)
    .where(
      and(
        eq(usageEvents.orgId, query.orgId),
        query.feature ? eq(usageEvents.feature, query.feature) : undefined,
        query.since !== undefined ? gte(usageEvents.settledAt, query.since) : undefined,
        query.until !== undefined ? lt(usageEvents.settledAt, query.until) : undefined,
        query.before
          ? or(
              lt(usageEvents.settledAt, query.before.settledAt),
              and(eq(usageEvents.settledAt, query.before.settledAt), lt(usageEvents.id, query.before.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(usageEvents.settledAt), desc(usageEvents.id))
    .limit(query.limit)
    .all()
    .map(toUsageRecord);
}

export function usageEventsOfCall(db: LedgerConn, callId: string): UsageEventRecord[] {
  return db.select().from(usageEvents).where(eq(usageEvents.toolCallId, callId)).orderBy(usageEvents.createdAt).all().map(toUsageRecord);
}

export function featureTotals(db: LedgerConn, orgId: string, since?: number, until?: number): FeatureTotal[] {
  const rows = db
    .select({
      feature: usageEvents.feature,
      events: sql<bigint | number>`count(*)`,
      costNanoUsd: sql<bigint | number>`coalesce(sum(${usageEvents.costNanoUsd}), 0)`,
      chargedMicroCredits: sql<bigint | number>`coalesce(sum(${usageEvents.chargedMicroCredits}), 0)`,
    })
    .from(usageEvents)
    .where(
      and(
        eq(usageEvents.orgId, orgId),
        since !== undefined ? gte(usageEvents.settledAt, since) : undefined,
        until !== undefined ? lt(usageEvents.settledAt, until) : undefined,
      ),
    )
    .groupBy(usageEvents.feature)
    .orderBy(usageEvents.feature)
    .all();
  return rows.map((row) => ({
    feature: row.feature as Feature,
    events: Number(row.events),
    costNanoUsd: BigInt(row.costNanoUsd),
    chargedMicroCredits: BigInt(row.chargedMicroCredits),
  }));
}
