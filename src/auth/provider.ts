/**
 * The authorization server: oidc-provider (OpenID Certified), configured for
 * MCP connectors. The protocol is theirs; the choices are ours:
 *
 * - one resource, this server's /mcp URL (RFC 8707): every access token is
 *   minted for it, a request for any other resource is refused;
 * - authorization code with PKCE S256 only (plain and missing refused);
 * - redirect URIs matched exactly: https, http on loopback, or a native app's
 *   own scheme (RFC 8252 lets a native app's loopback redirect change port);
 * - opaque access tokens for 15 minutes; refresh tokens rotated on every use,
 *   and a refresh token used twice revokes its whole grant (the connection);
 * - dynamic client registration (RFC 7591), client ID metadata documents,
 *   revocation (RFC 7009); no userinfo, no device flow, no implicit flow;
 * - every authorization proves an organisation afresh (see interactions.ts),
 *   and tokens never die with the browser session that approved them.
 */
import Provider, { errors, interactionPolicy, type Configuration, type KoaContextWithOIDC } from "oidc-provider";
import type { OAuthConfig } from "../config-oauth.js";
import type { Logger } from "../log.js";
import type { LedgerAdapters } from "./adapter.js";
import type { ServerKeys } from "./keys.js";
import { errorPage } from "./pages.js";

export const SCOPES = { free: "tools:free", paid: "tools:paid" } as const;
const ACCESS_TOKEN_SECONDS = 15 * 60;
const REFRESH_TOKEN_SECONDS = 30 * 86_400;
/** A connection lives until it is revoked (or unused longer than a refresh token lives); the grant's own limit is only a backstop. */
const GRANT_SECONDS = 5 * 365 * 86_400;

/** The public addresses everything is named by. */
export interface PublicAddress {
  /** ECN_PUBLIC_URL, or http://HOST:PORT of the listener: the issuer. */
  base: string;
  /** base + /mcp: the only resource (RFC 8707), every access token's audience. */
  resource: string;
  /** The path part of base ("" at the root): a proxy in front strips it. */
  prefix: string;
}

export function publicAddress(base: string): PublicAddress {
  const clean = base.replace(/\/+$/, "");
  return { base: clean, resource: `${clean}/mcp`, prefix: new URL(clean).pathname.replace(/\/+$/, "") };
}

const FORBIDDEN_SCHEMES = new Set(["javascript:", "data:", "file:", "vbscript:", "about:", "blob:", "ftp:", "ws:", "wss:", "mailto:"]);
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Why a redirect URI is refused, or null: https, http on loopback, or a native app's own scheme. */
export function redirectUriProblem(uri: string): string | null {
  const url = URL.parse(uri);
  if (!url) return `${uri} is not a URL`;
  if (url.protocol === "https:") return null;
  if (url.protocol === "http:") return LOOPBACK.has(url.hostname) ? null : `${uri}: http is allowed on loopback only (localhost, 127.0.0.1, [::1]); use https`;
  return FORBIDDEN_SCHEMES.has(url.protocol) ? `${uri}: the ${url.protocol} scheme cannot be a redirect URI` : null;
}

export interface ProviderDeps {
  address: PublicAddress;
  adapters: LedgerAdapters;
  keys: ServerKeys;
  oauth: OAuthConfig;
  logger: Logger;
}

/** Every authorization proves an organisation anew: an earlier browser session never approves a new connection by itself. */
function policy(): interactionPolicy.DefaultPolicy {
  const base = interactionPolicy.base();
  base
    .get("login")!
    .checks.push(
      new interactionPolicy.Check("ecn_prove_organisation", "each connection needs the organisation proven", (ctx) =>
        ctx.oidc.result?.login ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT,
      ),
    );
  return base;
}

export function createProvider(deps: ProviderDeps): Provider {
  const { address, oauth } = deps;
  const configuration: Configuration = {
    adapter: deps.adapters.factory(),
    clients: [],
    jwks: deps.keys.jwks,
    cookies: {
      keys: deps.keys.cookieKeys,
      names: { session: "ecn_oauth_session", interaction: "ecn_oauth_interaction", resume: "ecn_oauth_resume" },
      long: { httpOnly: true, sameSite: "lax" },
      short: { httpOnly: true, sameSite: "lax" },
    },
    routes: {
      authorization: "/oauth/authorize",
      token: "/oauth/token",
      registration: "/oauth/register",
      revocation: "/oauth/revoke",
      jwks: "/oauth/jwks",
      end_session: "/oauth/session/end",
      introspection: "/oauth/introspect",
      userinfo: "/oauth/userinfo",
      pushed_authorization_request: "/oauth/par",
    },
    scopes: ["openid", "offline_access", SCOPES.free, SCOPES.paid],
    claims: { openid: ["sub"] },
    responseTypes: ["code"],
    clientAuthMethods: ["none", "client_secret_basic", "client_secret_post"],
    clientDefaults: { grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], id_token_signed_response_alg: "ES256" },
    enabledJWA: { idTokenSigningAlgValues: ["ES256"] },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      // Off: nothing here checks DPoP proofs, PAR adds nothing for these clients, and there is no sign-out across apps.
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      userinfo: { enabled: false },
      introspection: { enabled: false },
      revocation: { enabled: true },
      registration: { enabled: true, issueRegistrationAccessToken: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => address.resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== address.resource) throw new errors.InvalidTarget(`this server issues tokens for ${address.resource} only`);
          return { scope: `${SCOPES.free} ${SCOPES.paid}`, audience: address.resource, accessTokenTTL: ACCESS_TOKEN_SECONDS, accessTokenFormat: "opaque" };
        },
      },
      clientIdMetadataDocument: { enabled: true, ack: "draft-02", cacheDuration: { min: 30, max: 3_600 } },
    },
    // The SSRF guard on outgoing fetches refuses private addresses; only a test lets a loopback metadata document through.
    ...(oauth.metadataFetchAnyAddress
      ? {
          fetch: (input: string | URL | Request, init?: RequestInit) => {
            const { dispatcher: _guard, ...rest } = (init ?? {}) as RequestInit & { dispatcher?: unknown };
            return fetch(input, rest);
          },
        }
      : {}),
    extraClientMetadata: {
      properties: ["ecn_redirect_policy"],
      validator: (_ctx, key, _value, metadata) => {
        if (key !== "ecn_redirect_policy") return;
        for (const uri of metadata.redirect_uris ?? []) {
          const problem = redirectUriProblem(uri);
          if (problem) throw new errors.InvalidRedirectUri(problem);
        }
      },
    },
    ttl: {
      AccessToken: ACCESS_TOKEN_SECONDS,
      AuthorizationCode: 60,
      RefreshToken: REFRESH_TOKEN_SECONDS,
      Grant: GRANT_SECONDS,
      Interaction: 30 * 60,
      Session: 60 * 60,
      IdToken: 60 * 60,
    },
    rotateRefreshToken: true,
    // Revoking any token of a grant removes all its tokens (oidc-provider's rule); the grant goes too, so its connection shows as revoked.
    revokeGrantPolicy: () => true,
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    expiresWithSession: () => false,
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    interactions: { url: (_ctx, interaction) => `${address.prefix}/oauth/interaction/${interaction.uid}`, policy: policy() },
    renderError: (ctx: KoaContextWithOIDC, out) => {
      ctx.type = "html";
      ctx.set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'");
      ctx.set("X-Frame-Options", "DENY");
      ctx.body = errorPage(address.prefix, out.error, out.error_description ?? "the request could not be completed");
    },
  };
  const provider = new Provider(address.base, configuration);
  // The headers the proxy in front (or this server itself) is trusted to set: see oauthRoutes.
  provider.proxy = true;
  provider.on("server_error", (_ctx: unknown, error: Error) => deps.logger.error("OAuth server error", { error: error.message }));
  provider.on("grant.revoked", (_ctx: unknown, grantId: string) => deps.logger.info("an OAuth grant was revoked; its connection ends", { grant: grantId }));
  return provider;
}
