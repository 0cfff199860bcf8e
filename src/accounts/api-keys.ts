/**
 * API keys for HTTP mode: long random tokens with a
 * recognisable prefix, shown once, stored only as a SHA-256 hash (the token
 * has 256 bits of entropy, so a fast hash is enough), compared in constant
 * time, revocable with immediate effect (every request is checked against
 * the ledger). The key alone decides the organisation.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { newId } from "../ids.js";
import { storageFailure } from "../ledger/errors.js";
import type { ApiKeyRecord, Ledger } from "../ledger/index.js";
import type { OrgRef } from "../metering/types.js";

export const KEY_PREFIX = "ecn_sk_";
/** Characters of a key kept in the clear, to tell keys apart in `key list`. */
const SHOWN = KEY_PREFIX.length + 6;
const TOUCH_INTERVAL_MS = 60_000;

export interface IssuedKey {
  /** The key itself: shown once, never stored. */
  key: string;
  record: ApiKeyRecord;
}

export interface Caller {
  org: OrgRef;
  keyId: string;
}

export function hashKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

export class ApiKeys {
  /** When this process last wrote each key's "last used", so requests in flight together write it once. */
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly ledger: Ledger,
    private readonly now: () => number = Date.now,
  ) {}

  async issue(org: OrgRef, name: string | null): Promise<IssuedKey> {
    const key = KEY_PREFIX + randomBytes(32).toString("base64url");
    const record = await this.ledger.createApiKey({
      id: newId("key"),
      orgId: org.id,
      name,
      prefix: key.slice(0, SHOWN),
      keyHash: hashKey(key),
      createdAt: this.now(),
    });
    return { key, record };
  }

  list(orgId?: string): Promise<ApiKeyRecord[]> {
    return this.ledger.listApiKeys(orgId);
  }

  revoke(keyId: string): Promise<boolean> {
    return this.ledger.revokeApiKey(keyId, this.now());
  }

  /** The caller a bearer token stands for, or null for a missing, unknown or revoked key. */
  async authenticate(token: string | undefined): Promise<Caller | null> {
    if (!token || !token.startsWith(KEY_PREFIX) || token.length > 200) return null;
    const hash = hashKey(token);
    const holder = await this.ledger.keyHolder(hash);
    if (!holder || !timingSafeEqual(Buffer.from(holder.key.keyHash, "hex"), Buffer.from(hash, "hex"))) return null;
    const { key } = holder;
    if (key.revokedAt !== null) return null;
    const now = this.now();
    // "Last used" is kept to the minute: not a durable write on every request. It is advisory: a ledger
    // that cannot take the write must not turn away a caller whose request may need no write at all.
    const lastUsed = Math.max(key.lastUsedAt ?? -Infinity, this.touched.get(key.id) ?? -Infinity);
    if (now - lastUsed >= TOUCH_INTERVAL_MS) {
      this.touched.set(key.id, now);
      await this.ledger.touchApiKey(key.id, now, TOUCH_INTERVAL_MS).catch((error: unknown) => {
        if (!storageFailure(error)) throw error;
      });
    }
    return { org: { id: key.orgId, name: holder.orgName }, keyId: key.id };
  }
}
