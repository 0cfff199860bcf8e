/**
 * What a person proved on the sign-in step of one authorization (which
 * organisations, and how), kept until the consent step of the same
 * interaction: in the ledger, so any instance can serve the next step.
 */
import type { Ledger, SignedInVia } from "../ledger/index.js";
import { hashId } from "./adapter.js";

const MODEL = "EcnProof";
/** As long as an interaction lives. */
const PROOF_MS = 30 * 60_000;

export interface Proof {
  orgs: { id: string; name: string }[];
  via: SignedInVia;
  /** The API key id or the member's email (never a secret). */
  as: string | null;
  /** How the page names the proof ("an API key", an email, "your dashboard session"). */
  shown: string;
}

export class Proofs {
  constructor(
    private readonly ledger: Ledger,
    private readonly now: () => number = Date.now,
  ) {}

  async save(uid: string, proof: Proof): Promise<void> {
    const payloadJson = JSON.stringify(proof);
    await this.ledger.upsertOAuthRecord({
      model: MODEL,
      idHash: hashId(uid),
      payloadJson,
      grantId: null,
      uid: null,
      userCode: null,
      expiresAt: this.now() + PROOF_MS,
    });
  }

  async get(uid: string): Promise<Proof | null> {
    const record = await this.ledger.findOAuthRecord(MODEL, hashId(uid), this.now());
    return record ? (JSON.parse(record.payloadJson) as Proof) : null;
  }

  async drop(uid: string): Promise<void> {
    await this.ledger.destroyOAuthRecord(MODEL, hashId(uid), this.now());
  }
}
