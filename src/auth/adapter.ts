/**
 * oidc-provider's storage adapter, on the ledger (both stores): every record
 * it keeps (clients, grants, codes, access and refresh tokens, sessions,
 * interactions) is a row of oauth_records found by the SHA-256 of its id.
 * An opaque token, a code and a session cookie each are their record's id,
 * so none is stored in the clear: the id is taken out of the payload before
 * it is written and put back from the caller's hand when it is read.
 *
 * Nothing is cached between requests: a revocation on one instance is seen
 * by every other at its next request.
 */
import { createHash } from "node:crypto";
import type { Adapter, AdapterPayload } from "oidc-provider";
import type { Ledger, OAuthRecord } from "../ledger/index.js";

/** The stored form of an id (tokens, codes, session ids are their own ids). */
export const hashId = (id: string): string => createHash("sha256").update(id, "utf8").digest("hex");

/** Expired records are deleted at most this often per process (reads never return them anyway). */
const PRUNE_INTERVAL_MS = 60_000;

export class LedgerAdapters {
  private lastPrune = 0;

  constructor(
    private readonly ledger: Ledger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The adapter constructor oidc-provider instantiates once per model. */
  factory(): (model: string) => Adapter {
    return (model) => new LedgerAdapter(this, this.ledger, model, this.now);
  }

  /** Deletes expired records now and then; a failure only delays it. */
  maybePrune(): void {
    const now = this.now();
    if (now - this.lastPrune < PRUNE_INTERVAL_MS) return;
    this.lastPrune = now;
    void this.ledger.pruneOAuthRecords(now).catch(() => undefined);
  }
}

class LedgerAdapter implements Adapter {
  constructor(
    private readonly adapters: LedgerAdapters,
    private readonly ledger: Ledger,
    private readonly model: string,
    private readonly now: () => number,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    this.adapters.maybePrune();
    const { jti: _jti, ...stored } = payload;
    // An interaction notes the session cookie it started with; nothing reads it back, and a cookie is a secret.
    if (stored.session?.cookie) stored.session = { ...stored.session, cookie: undefined };
    await this.ledger.upsertOAuthRecord({
      model: this.model,
      idHash: hashId(id),
      payloadJson: JSON.stringify(stored),
      // A grant names itself, so revoking a connection finds the grant with its tokens in one statement.
      grantId: this.model === "Grant" ? id : (stored.grantId ?? null),
      uid: stored.uid ?? null,
      userCode: stored.userCode ? hashId(stored.userCode) : null,
      expiresAt: expiresIn ? this.now() + expiresIn * 1000 : null,
    });
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.decode(await this.ledger.findOAuthRecord(this.model, hashId(id), this.now()), id);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    // Found by its public uid, a session comes back without its id (the cookie): callers only read it.
    return this.decode(await this.ledger.findOAuthRecordByUid(this.model, uid, this.now()), undefined);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.decode(await this.ledger.findOAuthRecordByUserCode(this.model, hashId(userCode), this.now()), undefined);
  }

  async consume(id: string): Promise<void> {
    await this.ledger.consumeOAuthRecord(this.model, hashId(id), this.now());
  }

  async destroy(id: string): Promise<void> {
    await this.ledger.destroyOAuthRecord(this.model, hashId(id), this.now());
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.ledger.revokeOAuthGrant(this.model, grantId);
  }

  private decode(record: OAuthRecord | null, id: string | undefined): AdapterPayload | undefined {
    if (!record) return undefined;
    const payload = JSON.parse(record.payloadJson) as AdapterPayload;
    if (id !== undefined) payload.jti = id;
    // oidc-provider counts in seconds; a consumed code or refresh token must read as consumed.
    if (record.consumedAt !== null) payload.consumed = Math.floor(record.consumedAt / 1000);
    return payload;
  }
}
