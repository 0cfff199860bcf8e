/**
 * What the ledger keeps for connectors: the OAuth authorization server's
 * records (by the hash of their id), the connections its grants stand for,
 * and the members an upstream identity provider may sign in. The records
 * are the tables' rows as the reference schema infers them (see types.ts).
 */
import type { connections, members, oauthRecords } from "./sqlite/schema.js";
import type { RowOf } from "./types.js";

/**
 * One authorization server record as stored (see the oauth_records columns):
 * never its id, only the id's hash; its JSON without its id; an expiry in
 * epoch ms (null: never expires).
 */
export type OAuthRecord = RowOf<typeof oauthRecords>;

/** How the person who gave a connection proved their organisation. */
export type SignedInVia = "api_key" | "dashboard" | "oidc";

/** A grant an organisation gave an app, with its scope (space-separated: tools:free, tools:paid) and daily cap (see the connections columns). */
export type ConnectionRecord = RowOf<typeof connections>;

/** A connection with its organisation's name and what it spent. */
export interface ConnectionView extends ConnectionRecord {
  orgName: string;
  /** Charged today (UTC) and since it was made; in self_host mode the metered value (cost at markup 1) is what caps count. */
  todayChargedMicroCredits: bigint;
  todayMeteredMicroCredits: bigint;
  totalChargedMicroCredits: bigint;
  calls: number;
}

/** Who may sign in for an organisation through the upstream identity provider (a lower-cased email). */
export type MemberRecord = RowOf<typeof members>;

/** The Ledger's connector side. */
export interface AuthLedger {
  /** The live (unexpired) record of this model with this id hash. */
  findOAuthRecord(model: string, idHash: string, now: number): Promise<OAuthRecord | null>;
  findOAuthRecordByUid(model: string, uid: string, now: number): Promise<OAuthRecord | null>;
  findOAuthRecordByUserCode(model: string, userCode: string, now: number): Promise<OAuthRecord | null>;
  /** Inserts or replaces a record (a consumed mark survives the replacement). */
  upsertOAuthRecord(record: Omit<OAuthRecord, "consumedAt">): Promise<void>;
  /** Inserts a record unless one with its model and id hash exists (then the stored one stays: read it back). */
  insertOAuthRecordIfAbsent(record: Omit<OAuthRecord, "consumedAt">): Promise<void>;
  consumeOAuthRecord(model: string, idHash: string, now: number): Promise<void>;
  /** Deletes a record; a Grant's deletion revokes its connection in the same transaction. */
  destroyOAuthRecord(model: string, idHash: string, now: number): Promise<void>;
  /** Deletes every record of this model that belongs to the grant. */
  revokeOAuthGrant(model: string, grantId: string): Promise<void>;
  /** Deletes expired records; how many. */
  pruneOAuthRecords(now: number): Promise<number>;

  createConnection(connection: Omit<ConnectionRecord, "lastUsedAt" | "revokedAt">): Promise<ConnectionRecord>;
  getConnection(id: string): Promise<ConnectionRecord | null>;
  connectionOfGrant(grantId: string): Promise<ConnectionRecord | null>;
  /** Connections (of one organisation, or all), newest first, with their spend; `today` is the UTC midnight. */
  listConnections(orgId: string | null, today: number): Promise<ConnectionView[]>;
  /**
   * Revokes a connection: marks it, and deletes its grant and every token and
   * code of it, in one transaction. False when no live connection has that id.
   */
  revokeConnection(id: string, now: number): Promise<boolean>;
  /** Records a use, at most once per `minIntervalMs`. */
  touchConnection(id: string, now: number, minIntervalMs: number): Promise<void>;

  /** False when the person was already a member. */
  addMember(member: MemberRecord): Promise<boolean>;
  /** False when the person was not a member. */
  removeMember(orgId: string, email: string): Promise<boolean>;
  listMembers(orgId: string | null): Promise<MemberRecord[]>;
  /** The organisations this (lower-cased) email is a member of. */
  membershipsOf(email: string): Promise<MemberRecord[]>;
}
