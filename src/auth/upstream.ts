/**
 * Sign-in through the organisation's own OpenID Connect provider (Okta,
 * Google Workspace, Keycloak, ...), with openid-client: authorization code,
 * PKCE, state and nonce, ID token checked by the library. The address the
 * provider vouches for must belong to a member (`ecn-mcp member add`).
 *
 * The provider sends the person back to one fixed URL
 * (ECN_PUBLIC_URL/oauth/upstream/callback); `state` finds the interaction
 * the sign-in belongs to, and is good for one callback only.
 */
import { randomBytes } from "node:crypto";
import * as oidc from "openid-client";
import type { OAuthConfig } from "../config-oauth.js";
import type { Ledger } from "../ledger/index.js";
import { hashId } from "./adapter.js";

const MODEL = "EcnUpstream";
const PENDING_MS = 10 * 60_000;
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

interface Pending {
  uid: string;
  verifier: string;
  nonce: string;
}

export class UpstreamRefusal extends Error {
  override readonly name = "UpstreamRefusal";
}

export class Upstream {
  private configuration: Promise<oidc.Configuration> | undefined;

  constructor(
    private readonly settings: NonNullable<OAuthConfig["upstream"]>,
    /** Where the provider sends the person back. */
    readonly redirectUri: string,
    private readonly ledger: Ledger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The provider's metadata, discovered once (again after a failure). */
  private config(): Promise<oidc.Configuration> {
    const issuer = new URL(this.settings.issuer);
    // Plain http only for a provider on this machine (a test, a local Keycloak); anywhere else it must be https.
    const insecure = issuer.protocol === "http:" && LOOPBACK.has(issuer.hostname);
    this.configuration ??= oidc
      .discovery(
        issuer,
        this.settings.clientId,
        undefined,
        this.settings.clientSecret ? oidc.ClientSecretPost(this.settings.clientSecret) : oidc.None(),
        insecure ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((error: unknown) => {
        this.configuration = undefined;
        throw error;
      });
    return this.configuration;
  }

  /** The provider's authorization URL for this interaction. */
  async start(uid: string): Promise<string> {
    const config = await this.config();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = randomBytes(24).toString("base64url");
    const nonce = oidc.randomNonce();
    const pending: Pending = { uid, verifier, nonce };
    await this.ledger.upsertOAuthRecord({
      model: MODEL,
      idHash: hashId(state),
      payloadJson: JSON.stringify(pending),
      grantId: null,
      uid: null,
      userCode: null,
      expiresAt: this.now() + PENDING_MS,
    });
    return oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: "openid email",
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
      nonce,
    }).href;
  }

  /** The interaction and the verified email of the person the provider sent back (`query`: the callback's query string). */
  async finish(query: string): Promise<{ uid: string; email: string }> {
    const params = new URLSearchParams(query);
    const state = params.get("state") ?? "";
    const record = state ? await this.ledger.findOAuthRecord(MODEL, hashId(state), this.now()) : null;
    if (!record) throw new UpstreamRefusal("this sign-in is unknown or was used already: start connecting again from the app");
    await this.ledger.destroyOAuthRecord(MODEL, record.idHash, this.now()); // one callback per sign-in
    const pending = JSON.parse(record.payloadJson) as Pending;
    const error = params.get("error");
    if (error) throw new UpstreamRefusal(`the identity provider refused the sign-in (${error.slice(0, 100)})`);
    const callback = new URL(this.redirectUri);
    callback.search = query;
    const tokens = await oidc.authorizationCodeGrant(await this.config(), callback, {
      pkceCodeVerifier: pending.verifier,
      expectedState: state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    if (!claims) throw new UpstreamRefusal("the identity provider sent no ID token");
    // Providers that keep the email out of the ID token (OpenID's default once an access token is issued) give it at userinfo.
    const about =
      typeof claims.email === "string" ? claims : await oidc.fetchUserInfo(await this.config(), tokens.access_token, claims.sub).catch(() => claims);
    const email = typeof about.email === "string" ? about.email : "";
    if (!email) throw new UpstreamRefusal("the identity provider did not say who you are (no email): ask the operator to allow the email scope");
    if (about.email_verified === false) throw new UpstreamRefusal("the identity provider has not verified your email address");
    return { uid: pending.uid, email };
  }
}
