/**
 * The OAuth authorization server's records, once for both stores. Every
 * record is addressed by (model, hash of its id); whoever holds the id (a
 * token, a code, a session cookie) can find it, nobody reading the table can
 * use one. Reads never return an expired record.
 */
import type { OAuthRecord } from "../auth-types.js";
import { get, run, type Script } from "../script.js";
import { asNumber, statement, textOrNull } from "../sql.js";

const toRecord = (row: Record<string, unknown>): OAuthRecord => ({
  model: String(row.model),
  idHash: String(row.id_hash),
  payloadJson: String(row.payload_json),
  grantId: textOrNull(row.grant_id),
  uid: textOrNull(row.uid),
  userCode: textOrNull(row.user_code),
  expiresAt: row.expires_at === null || row.expires_at === undefined ? null : asNumber(row.expires_at),
  consumedAt: row.consumed_at === null || row.consumed_at === undefined ? null : asNumber(row.consumed_at),
});

const LIVE = "(expires_at IS NULL OR expires_at > @now)";

export const findRecord = statement("oauth_find", `SELECT * FROM oauth_records WHERE model = @model AND id_hash = @idHash AND ${LIVE}`, toRecord);
export const findByUid = statement("oauth_find_by_uid", `SELECT * FROM oauth_records WHERE model = @model AND uid = @uid AND ${LIVE}`, toRecord);
export const findByUserCode = statement(
  "oauth_find_by_user_code",
  `SELECT * FROM oauth_records WHERE model = @model AND user_code = @userCode AND ${LIVE}`,
  toRecord,
);
export const upsertRecord = statement(
  "oauth_upsert",
  `INSERT INTO oauth_records (model, id_hash, payload_json, grant_id, uid, user_code, expires_at, consumed_at)
   VALUES (@model, @idHash, @payloadJson, @grantId, @uid, @userCode, @expiresAt, NULL)
   ON CONFLICT (model, id_hash) DO UPDATE SET payload_json = excluded.payload_json, grant_id = excluded.grant_id, uid = excluded.uid,
     user_code = excluded.user_code, expires_at = excluded.expires_at`,
);
/** For records every instance must share (the server's keys): the first instance to start writes them, the rest read them. */
export const insertAbsent = statement(
  "oauth_insert_absent",
  `INSERT INTO oauth_records (model, id_hash, payload_json, grant_id, uid, user_code, expires_at, consumed_at)
   VALUES (@model, @idHash, @payloadJson, @grantId, @uid, @userCode, @expiresAt, NULL) ON CONFLICT (model, id_hash) DO NOTHING`,
);
export const consumeRecord = statement(
  "oauth_consume",
  "UPDATE oauth_records SET consumed_at = @now WHERE model = @model AND id_hash = @idHash AND consumed_at IS NULL",
);
export const revokeGrantRecords = statement("oauth_revoke_grant", "DELETE FROM oauth_records WHERE model = @model AND grant_id = @grantId");
export const pruneRecords = statement("oauth_prune", "DELETE FROM oauth_records WHERE expires_at IS NOT NULL AND expires_at <= @now");

const deleteRecord = statement("oauth_destroy", "DELETE FROM oauth_records WHERE model = @model AND id_hash = @idHash");
/** A grant's record names its own id in grant_id: its connection ends with it. */
const revokeConnectionOfGrant = statement(
  "oauth_revoke_connection_of_grant",
  `UPDATE connections SET revoked_at = @now WHERE revoked_at IS NULL
     AND grant_id = (SELECT grant_id FROM oauth_records WHERE model = 'Grant' AND id_hash = @idHash)`,
);

export function* findOAuthRecord(model: string, idHash: string, now: number): Script<OAuthRecord | null> {
  return (yield* get(findRecord, { model, idHash, now })) ?? null;
}

export function* upsertOAuthRecord(record: Omit<OAuthRecord, "consumedAt">): Script<void> {
  yield* run(upsertRecord, { ...record });
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
