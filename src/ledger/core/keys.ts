/** API keys, once for both stores: hashes only, never the key itself. */
import { toApiKey } from "../rows.js";
import { all, get, run, type Script } from "../script.js";
import { idempotentStatement, p, statement } from "../sql.js";
import type { ApiKeyRecord, KeyHolder } from "../types.js";

const insertKey = statement(
  "insert_api_key",
  `INSERT INTO api_keys (id, org_id, name, prefix, key_hash, created_at, last_used_at, revoked_at)
   VALUES (@id, @orgId, @name, @prefix, @keyHash, @createdAt, NULL, NULL)`,
  { id: p.text, orgId: p.text, name: p.textOrNull, prefix: p.text, keyHash: p.text, createdAt: p.int },
);
const listKeys = statement(
  "list_api_keys",
  "SELECT * FROM api_keys WHERE CAST(@orgId AS TEXT) IS NULL OR org_id = @orgId ORDER BY created_at",
  { orgId: p.textOrNull },
  toApiKey,
);
const keyHolderSql = statement(
  "key_holder",
  "SELECT k.*, o.name AS org_name FROM api_keys k JOIN orgs o ON o.id = k.org_id WHERE k.key_hash = @keyHash",
  { keyHash: p.text },
  (row): KeyHolder => ({ key: toApiKey(row), orgName: String(row.org_name) }),
);
/** Sent again, it still counts the key it revoked at @now: an operator is not told a key they just revoked was not live. */
export const revokeKey = idempotentStatement(
  "revoke_api_key",
  "UPDATE api_keys SET revoked_at = @now WHERE id = @id AND (revoked_at IS NULL OR revoked_at = @now)",
  { now: p.int, id: p.text },
);
export const touchKey = idempotentStatement(
  "touch_api_key",
  "UPDATE api_keys SET last_used_at = @now WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @before)",
  { now: p.int, id: p.text, before: p.int },
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
