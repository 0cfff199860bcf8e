/**
 * The Ledger's connector side, once for both stores: the authorization
 * server's records, connections and members. ScriptedLedger extends it, so
 * the money side stays in ledger.ts.
 */
import type { AuthLedger, ConnectionRecord, MemberRecord, OAuthRecord } from "./auth-types.js";
import * as connections from "./core/connections.js";
import * as oauth from "./core/oauth.js";
import type { Engine } from "./engine.js";
import { get } from "./script.js";

export class AuthScripts implements AuthLedger {
  constructor(readonly engine: Engine) {}

  findOAuthRecord(model: string, idHash: string, now: number) {
    return this.engine.read(() => oauth.findOAuthRecord(model, idHash, now));
  }
  async findOAuthRecordByUid(model: string, uid: string, now: number) {
    return (await this.engine.read(() => get(oauth.findByUid, { model, uid, now }))) ?? null;
  }
  async findOAuthRecordByUserCode(model: string, userCode: string, now: number) {
    return (await this.engine.read(() => get(oauth.findByUserCode, { model, userCode, now }))) ?? null;
  }
  upsertOAuthRecord(record: Omit<OAuthRecord, "consumedAt">) {
    return this.engine.write(() => oauth.upsertOAuthRecord(record));
  }
  // Single statements safe to send twice: written on their own (see Engine.writeOne).
  async insertOAuthRecordIfAbsent(record: Omit<OAuthRecord, "consumedAt">) {
    const { model, idHash, payloadJson, grantId, uid, userCode, expiresAt } = record;
    await this.engine.writeOne(oauth.insertAbsent, { model, idHash, payloadJson, grantId, uid, userCode, expiresAt });
  }
  async consumeOAuthRecord(model: string, idHash: string, now: number) {
    await this.engine.writeOne(oauth.consumeRecord, { model, idHash, now });
  }
  destroyOAuthRecord(model: string, idHash: string, now: number) {
    return this.engine.write(() => oauth.destroyOAuthRecord(model, idHash, now));
  }
  async revokeOAuthGrant(model: string, grantId: string) {
    await this.engine.writeOne(oauth.revokeGrantRecords, { model, grantId });
  }
  pruneOAuthRecords(now: number) {
    return this.engine.write(() => oauth.pruneOAuthRecords(now));
  }

  createConnection(connection: Omit<ConnectionRecord, "lastUsedAt" | "revokedAt">) {
    return this.engine.write(() => connections.createConnection(connection));
  }
  async getConnection(id: string) {
    return (await this.engine.read(() => get(connections.connectionById, { id }))) ?? null;
  }
  async connectionOfGrant(grantId: string) {
    return (await this.engine.read(() => get(connections.connectionByGrant, { grantId }))) ?? null;
  }
  listConnections(orgId: string | null, today: number) {
    return this.engine.read(() => connections.listConnections(orgId, today));
  }
  revokeConnection(id: string, now: number) {
    return this.engine.write(() => connections.revokeConnection(id, now));
  }
  async touchConnection(id: string, now: number, minIntervalMs: number) {
    await this.engine.writeOne(connections.touchConnectionSql, { now, id, before: now - minIntervalMs });
  }

  addMember(member: MemberRecord) {
    return this.engine.write(() => connections.addMember(member));
  }
  removeMember(orgId: string, email: string) {
    return this.engine.write(() => connections.removeMember(orgId, email));
  }
  listMembers(orgId: string | null) {
    return this.engine.read(() => connections.listMembers(orgId));
  }
  membershipsOf(email: string) {
    return this.engine.read(() => connections.membershipsOf(email));
  }
}
