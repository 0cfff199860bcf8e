/**
 * The authorization server's own secrets: the keys that sign its cookies,
 * the key of the consent forms' CSRF tokens, and the key that signs ID tokens.
 * Made once per ledger and kept in it, so every instance on one database signs
 * and checks with the same keys (a browser may reach any instance at each step).
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import type { Ledger } from "../ledger/index.js";

export interface ServerKeys {
  /** Signs oidc-provider's cookies (sessions, interactions). */
  cookieKeys: string[];
  /** Keys the per-interaction CSRF tokens (an HMAC of the interaction's id). */
  csrfKey: string;
  /** The private JSON Web Key Set: signs ID tokens, for clients that ask for `openid`. */
  jwks: { keys: Record<string, unknown>[] };
}

const MODEL = "ServerKeys";
const ID = "v1";

function generate(): ServerKeys {
  // P-256: made in a millisecond (an RSA key takes a second of a busy machine's start).
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = { ...privateKey.export({ format: "jwk" }), kid: randomBytes(8).toString("hex"), use: "sig", alg: "ES256" };
  return { cookieKeys: [randomBytes(32).toString("base64url")], csrfKey: randomBytes(32).toString("base64url"), jwks: { keys: [jwk] } };
}

/** The keys in the ledger, made there by whichever instance comes first. */
export async function serverKeys(ledger: Ledger, now: number): Promise<ServerKeys> {
  const stored = await ledger.findOAuthRecord(MODEL, ID, now);
  if (stored) return JSON.parse(stored.payloadJson) as ServerKeys;
  const fresh = generate();
  await ledger.insertOAuthRecordIfAbsent({
    model: MODEL,
    idHash: ID,
    payloadJson: JSON.stringify(fresh),
    grantId: null,
    uid: null,
    userCode: null,
    expiresAt: null,
  });
  // Another instance may have written its own first: everybody uses the stored ones.
  const winner = await ledger.findOAuthRecord(MODEL, ID, now);
  if (!winner) throw new Error("the authorization server's keys could not be stored in the ledger");
  return JSON.parse(winner.payloadJson) as ServerKeys;
}
