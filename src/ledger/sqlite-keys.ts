/** API keys in the SQLite ledger: hashes only, never the key itself. */
import { and, asc, eq, isNull, lt, or } from "drizzle-orm";
import type { LedgerConn, LedgerDb } from "./open.js";
import { apiKeys } from "./schema.js";
import type { ApiKeyRecord } from "./store.js";

export function createApiKey(db: LedgerDb, key: Omit<ApiKeyRecord, "lastUsedAt" | "revokedAt">): ApiKeyRecord {
  const row = { ...key, lastUsedAt: null, revokedAt: null };
  db.insert(apiKeys).values(row).run();
  return row;
}

export function listApiKeys(db: LedgerConn, orgId?: string): ApiKeyRecord[] {
  const query = db.select().from(apiKeys);
  return (orgId ? query.where(eq(apiKeys.orgId, orgId)) : query).orderBy(asc(apiKeys.createdAt)).all();
}

export function revokeApiKey(db: LedgerDb, keyId: string, now: number): boolean {
  return db.update(apiKeys).set({ revokedAt: now }).where(and(eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt))).run().changes > 0;
}

export function touchApiKey(db: LedgerDb, keyId: string, now: number, minIntervalMs: number): void {
  db.update(apiKeys)
    .set({ lastUsedAt: now })
    .where(and(eq(apiKeys.id, keyId), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, now - minIntervalMs))))
    .run();
}
