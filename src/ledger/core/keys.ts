/** API keys, once for both stores: hashes only, never the key itself. */
import { toApiKey } from "../rows.js";
import { all, get, run, type Script } from "../script.js";
import { statement } from "../sql.js";
import type { ApiKeyRecord, KeyHolder } from "../types.js";

const insertKey = statement(
  "insert_api_key",
  `INSERT INTO api_keys (id, org_id, name, prefix, key_hash, created_at, last_used_at, revoked_at)
   VALUES (@id, @orgId, @name, @prefix, @keyHash, @createdAt, NULL, NULL)`,
);
const listKeys = statement("list_api_keys", "SELECT * FROM api_keys WHERE CAST(@orgId AS TEXT) IS NULL OR org_id = @orgId ORDER BY created_at", toApiKey);
const keyHolderSql = statement(
  "key_holder",
  "SELECT k.*, o.name AS org_name FROM api_keys k JOIN orgs o ON o.id = k.org_id WHERE k.key_hash = @keyHash",
  (row): KeyHolder => ({ key: toApiKey(row), orgName: String(row.org_name) }),
);
export const revokeKey = statement("revoke_api_key", "UPDATE api_keys SET revoked_at = @now WHERE id = @id AND revoked_at IS NULL");
export const touchKey = statement(
  "touch_api_key",
  "UPDATE api_keys SET last_used_at = @now WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @before)",
);

export function* createApiKey(key: Omit<ApiKeyRecord, "lastUsedAt" | "revokedAt">): Script<ApiKeyRecord> {
  yield* run(insertKey, { id: key.id, orgId: key.orgId, name: key.name, prefix: key.prefix, keyHash: key.keyHash, createdAt: key.createdAt });
  return { ...key, lastUsedAt: null, revokedAt: null };
}

export function listApiKeys(orgId?: string): Script<ApiKeyRecord[]> {
  return all(listKeys, { orgId: orgId ?? null });
}

export function* keyHolder(keyHash: string): Script<KeyHolder | null> {
  return (yield* get(keyHolderSql, { keyHash })) ?? null;
}
