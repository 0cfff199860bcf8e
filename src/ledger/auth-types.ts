/**
 * What the ledger keeps for connectors: the OAuth authorization server's
 * records (by the hash of their id), the connections its grants stand for,
 * and the members an upstream identity provider may sign in.
 */

/** One authorization server record as stored: never its id, only the id's hash. */
export interface OAuthRecord {
  model: string;
  idHash: string;
  /** The record's JSON without its id. */
  payloadJson: string;
  grantId: string | null;
  uid: string | null;
  userCode: string | null;
  /** Epoch ms; null: never expires. */
  expiresAt: number | null;
  consumedAt: number | null;
}

export type SignedInVia = "api_key" | "dashboard" | "oidc";

export interface ConnectionRecord {
  id: string;
  orgId: string;
  clientId: string;
  clientName: string;
  /** Space-separated scopes (tools:free, tools:paid). */
  scope: string;
  dayCapMicroCredits: bigint;
  grantId: string;
  signedInVia: SignedInVia;
  signedInAs: string | null;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** A connection with its organisation's name and what it spent. */
export interface ConnectionView extends ConnectionRecord {
  orgName: string;
  /** Charged today (UTC) and since it was made; in self_host mode the metered value (cost at markup 1) is what caps count. */
  todayChargedMicroCredits: bigint;
  todayMeteredMicroCredits: bigint;
  totalChargedMicroCredits: bigint;
  calls: number;
}

export interface MemberRecord {
  orgId: string;
  email: string;
  createdAt: number;
}

/** The Ledger's connector side. */
export interface AuthLedger {
  /** The live (unexpired) record of this model with this id hash. */
  findOAuthRecord(model: string, idHash: string, now: number): Promise<OAuthRecord | null>;
  findOAuthRecordByUid(model: string, uid: string, now: number): Promise<OAuthRecord | null>;
  findOAuthRecordByUserCode(model: string, userCode: string, now: number): Promise<OAuthRecord | null>;
  /** Inserts or replaces a record (a consumed mark survives the replacement). */
  upsertOAuthRecord(record: Omit<OAuthRecord, "consumedAt">): Promise<void>;
  /** Inserts a record unless one with its model and id hash exists; false when it did. */
  insertOAuthRecordIfAbsent(record: Omit<OAuthRecord, "consumedAt">): Promise<boolean>;
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
