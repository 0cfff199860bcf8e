/**
 * The OAuth authorization server's records, once for both stores. Every
 * record is addressed by (model, hash of its id); whoever holds the id (a
 * token, a code, a session cookie) can find it, nobody reading the table can
 * use one. Reads never return an expired record.
 */
import type { OAuthRecord } from "../auth-types.js";
import { toOAuthRecord } from "../rows.js";
import { get, run, type Script } from "../script.js";
import { idempotentStatement, p, statement } from "../sql.js";

const LIVE = "(expires_at IS NULL OR expires_at > @now)";

/** A record's columns as an insert binds them. */
const RECORD = {
  model: p.text,
  idHash: p.text,
  payloadJson: p.text,
  grantId: p.textOrNull,
  uid: p.textOrNull,
  userCode: p.textOrNull,
  expiresAt: p.intOrNull,
} as const;

export const findRecord = statement(
  "oauth_find",
  `SELECT * FROM oauth_records WHERE model = @model AND id_hash = @idHash AND ${LIVE}`,
  { model: p.text, idHash: p.text, now: p.int },
  toOAuthRecord,
);
export const findByUid = statement(
  "oauth_find_by_uid",
  `SELECT * FROM oauth_records WHERE model = @model AND uid = @uid AND ${LIVE}`,
  { model: p.text, uid: p.text, now: p.int },
  toOAuthRecord,
);
export const findByUserCode = statement(
  "oauth_find_by_user_code",
  `SELECT * FROM oauth_records WHERE model = @model AND user_code = @userCode AND ${LIVE}`,
  { model: p.text, userCode: p.text, now: p.int },
  toOAuthRecord,
);
const upsertRecord = statement(
  "oauth_upsert",
  `INSERT INTO oauth_records (model, id_hash, payload_json, grant_id, uid, user_code, expires_at, consumed_at)
   VALUES (@model, @idHash, @payloadJson, @grantId, @uid, @userCode, @expiresAt, NULL)
   ON CONFLICT (model, id_hash) DO UPDATE SET payload_json = excluded.payload_json, grant_id = excluded.grant_id, uid = excluded.uid,
     user_code = excluded.user_code, expires_at = excluded.expires_at`,
  RECORD,
);
/**
 * For records every instance must share (the server's keys): the first
 * instance to start writes them, the rest read them. Sent again it inserts
 * nothing; nobody reads its count (whoever wrote first, everybody reads the
 * stored record back).
 */
export const insertAbsent = idempotentStatement(
  "oauth_insert_absent",
  `INSERT INTO oauth_records (model, id_hash, payload_json, grant_id, uid, user_code, expires_at, consumed_at)
   VALUES (@model, @idHash, @payloadJson, @grantId, @uid, @userCode, @expiresAt, NULL) ON CONFLICT (model, id_hash) DO NOTHING`,
  RECORD,
);
/** Sent again, it changes nothing: the record is consumed already (its caller reads no count). */
export const consumeRecord = idempotentStatement(
  "oauth_consume",
  "UPDATE oauth_records SET consumed_at = @now WHERE model = @model AND id_hash = @idHash AND consumed_at IS NULL",
  { now: p.int, model: p.text, idHash: p.text },
);
export const revokeGrantRecords = idempotentStatement("oauth_revoke_grant", "DELETE FROM oauth_records WHERE model = @model AND grant_id = @grantId", {
  model: p.text,
  grantId: p.text,
});
/** Its count is reported (how many expired records went), so it runs in a write script, never sent twice. */
const pruneRecords = statement("oauth_prune", "DELETE FROM oauth_records WHERE expires_at IS NOT NULL AND expires_at <= @now", { now: p.int });

const deleteRecord = statement("oauth_destroy", "DELETE FROM oauth_records WHERE model = @model AND id_hash = @idHash", {
  model: p.text,
  idHash: p.text,
});
/** A grant's record names its own id in grant_id: its connection ends with it. */
const revokeConnectionOfGrant = statement(
  "oauth_revoke_connection_of_grant",
  `UPDATE connections SET revoked_at = @now WHERE revoked_at IS NULL
     AND grant_id = (SELECT grant_id FROM oauth_records WHERE model = 'Grant' AND id_hash = @idHash)`,
  { now: p.int, idHash: p.text },
);

export function* findOAuthRecord(model: string, idHash: string, now: number): Script<OAuthRecord | null> {
  return (yield* get(findRecord, { model, idHash, now })) ?? null;
}

export function* upsertOAuthRecord(record: Omit<OAuthRecord, "consumedAt">): Script<void> {
  const { model, idHash, payloadJson, grantId, uid, userCode, expiresAt } = record;
  yield* run(upsertRecord, { model, idHash, payloadJson, grantId, uid, userCode, expiresAt });
}

/** Deletes the records expired by `now`; how many. */
export function pruneOAuthRecords(now: number): Script<number> {
  return run(pruneRecords, { now });
}

/**
 * Deletes a record. The authorization server deletes a grant when it revokes
 * it (a refresh token used twice, a code replayed, a refresh token revoked):
 * its connection is revoked in the same transaction.
 */
export function* destroyOAuthRecord(model: string, idHash: string, now: number): Script<void> {
  if (model === "Grant") yield* run(revokeConnectionOfGrant, { idHash, now });
  yield* run(deleteRecord, { model, idHash });
}
