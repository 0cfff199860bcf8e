/**
 * Who is looking at the dashboard or its JSON API. A bearer credential
 * (the operator token or an API key) or the dashboard's session cookie; the
 * cookie holds a random session id, never a key, and only its hash is
 * stored. Sessions end at sign-out, after 12 hours, or as soon as the key
 * that opened them is revoked.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Request, Response } from "express";
import type { Ledger } from "../../../ledger/index.js";
import type { ApiKeys } from "../../../accounts/api-keys.js";
import type { Viewer } from "../../../reports/dashboard.js";
import { sameSecret } from "../guards.js";

export const SESSION_COOKIE = "ecn_dashboard";
const SESSION_MS = 12 * 3_600_000;
const ONE_TIME_MS = 10 * 60_000;

const digest = (id: string) => createHash("sha256").update(id, "utf8").digest("hex");

export class Viewers {
  /** One-time sign-in links of `ecn-mcp dashboard`: held by this process only, used once, short-lived. */
  private readonly links = new Map<string, number>();

  constructor(
    private readonly ledger: Ledger,
    private readonly keys: ApiKeys,
    private readonly adminToken: string | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** The viewer a pasted or bearer secret stands for, or null. */
  async bySecret(secret: string): Promise<{ viewer: Viewer; keyId: string | null } | null> {
    if (this.adminToken && sameSecret(secret, this.adminToken)) return { viewer: { kind: "operator" }, keyId: null };
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
    if (session.orgId === null) return { kind: "operator" };
    const org = await this.ledger.findOrg(session.orgId);
    return org ? { kind: "tenant", org: { id: org.id, name: org.name } } : null;
  }

  /** Starts a session for this viewer and sets its cookie. */
  async startSession(res: Response, req: Request, signedIn: { viewer: Viewer; keyId: string | null }): Promise<void> {
    const id = randomBytes(32).toString("base64url");
    const now = this.now();
    await this.ledger.startSession({
      idHash: digest(id),
      orgId: signedIn.viewer.kind === "tenant" ? signedIn.viewer.org.id : null,
      keyId: signedIn.keyId,
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
