/** Read-only usage reports over the SQLite ledger. */
import { and, desc, eq, gte, lt, or } from "drizzle-orm";
import type { LedgerConn } from "./open.js";
import { toUsageRecord } from "./rows.js";
import { usageEvents } from "./schema.js";
import type { UsageEventRecord, UsageQuery } from "./store.js";

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
