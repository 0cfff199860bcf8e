/**
 * Who is looking at the dashboard or its JSON API. A bearer credential
 * (the operator token or an API key) or the dashboard's session cookie; the
 * cookie holds a random session id, never a key, and only its hash is
 * stored. Sessions end at sign-out, after 12 hours, or as soon as the key
 * that opened them is revoked; an operator's session, as soon as the server
 * it is used on no longer has the operator token that opened it (the token
 * was rotated or unset, or this server has none).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Request, Response } from "express";
import type { Ledger } from "../../../ledger/index.js";
import type { ApiKeys } from "../../../accounts/api-keys.js";
import type { Viewer } from "../../../reports/dashboard.js";
import { sameSecret } from "../guards.js";

export const SESSION_COOKIE = "ecn_dashboard";
const SESSION_MS = 12 * 3_600_000;
const ONE_TIME_MS = 10 * 60_000;

const digest = (id: string) => createHash("sha256").update(id, "utf8").digest("hex");

/**
 * An operator session's binding: HMAC-SHA256 of the credential that opened
 * it, keyed by the session id. Only the cookie holds the id, so the ledger's
 * copy says nothing about the token to whoever reads the ledger.
 */
const bind = (id: string, credential: string) => createHmac("sha256", id).update(credential, "utf8").digest();

/** Who signed in, and with what: an operator by the token or by a one-time link of this process. */
export interface SignedIn {
  viewer: Viewer;
  keyId: string | null;
  /** For the operator: what opened the session. */
  via?: "token" | "link";
}

export class Viewers {
  /** One-time sign-in links of `ecn-mcp dashboard`: held by this process only, used once, short-lived. */
  private readonly links = new Map<string, number>();
  /** What a session opened by such a link is bound to: it works on this process only, and ends with it. */
  private readonly linkSecret = randomBytes(32).toString("base64url");

  constructor(
    private readonly ledger: Ledger,
    private readonly keys: ApiKeys,
    private readonly adminToken: string | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** The viewer a pasted or bearer secret stands for, or null. */
  async bySecret(secret: string): Promise<SignedIn | null> {
    if (this.adminToken && sameSecret(secret, this.adminToken)) return { viewer: { kind: "operator" }, keyId: null, via: "token" };
    const caller = await this.keys.authenticate(secret);
    return caller ? { viewer: { kind: "tenant", org: caller.org }, keyId: caller.keyId } : null;
  }

  /** The viewer of a request: its bearer credential, else its session cookie. */
  async ofRequest(req: Request): Promise<Viewer | null> {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
    if (bearer) return (await this.bySecret(bearer[1]!))?.viewer ?? null;
    const id = cookieOf(req, SESSION_COOKIE);
    if (!id) return null;
    const session = await this.ledger.findSession(digest(id), this.now());
    if (!session) return null;
    if (session.orgId === null) return this.stillBound(id, session.operatorBinding) ? { kind: "operator" } : null;
    const org = await this.ledger.findOrg(session.orgId);
    return org ? { kind: "tenant", org: { id: org.id, name: org.name } } : null;
  }

  /** The credentials an operator session may be bound to here: this server's operator token, and its own one-time links. */
  private operatorCredentials(): string[] {
    return [`link:${this.linkSecret}`, ...(this.adminToken ? [`token:${this.adminToken}`] : [])];
  }

  /** True when the operator session `id` was opened by a credential this server still holds. */
  private stillBound(id: string, binding: string | null): boolean {
    if (binding === null) return false; // opened before sessions were bound: it ends
    const stored = Buffer.from(binding, "hex");
    return this.operatorCredentials().some((credential) => {
      const expected = bind(id, credential);
      return stored.length === expected.length && timingSafeEqual(stored, expected);
    });
  }

  /** Starts a session for this viewer and sets its cookie. */
  async startSession(res: Response, req: Request, signedIn: SignedIn): Promise<void> {
    const id = randomBytes(32).toString("base64url");
    const now = this.now();
    let operatorBinding: string | null = null;
    if (signedIn.viewer.kind === "operator") {
      const credential = signedIn.via === "token" && this.adminToken ? `token:${this.adminToken}` : signedIn.via === "link" ? `link:${this.linkSecret}` : null;
      if (!credential) throw new Error("an operator session is opened by the operator token or a one-time link");
      operatorBinding = bind(id, credential).toString("hex");
    }
    await this.ledger.startSession({
      idHash: digest(id),
      orgId: signedIn.viewer.kind === "tenant" ? signedIn.viewer.org.id : null,
      keyId: signedIn.keyId,
      operatorBinding,
      createdAt: now,
      expiresAt: now + SESSION_MS,
    });
    res.setHeader("Set-Cookie", cookie(id, SESSION_MS / 1000, req.secure));
  }

  async endSession(req: Request, res: Response): Promise<void> {
    const id = cookieOf(req, SESSION_COOKIE);
    if (id) await this.ledger.endSession(digest(id));
    res.setHeader("Set-Cookie", cookie("", 0, req.secure));
  }

  /** A sign-in link for the operator, valid once for ten minutes. */
  oneTimeLink(): string {
    const token = randomBytes(24).toString("base64url");
    this.links.set(token, this.now() + ONE_TIME_MS);
    return token;
  }

  /** Uses up a one-time token: true once, if it was handed out and has not expired. */
  redeem(token: string): boolean {
    const expires = this.links.get(token);
    this.links.delete(token);
    return expires !== undefined && expires > this.now();
  }
}

function cookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? "; Secure" : ""}`;
}

function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return rest.join("=") || undefined;
  }
  return undefined;
}
