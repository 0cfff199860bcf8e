/**
 * Connectors: `ecn-mcp http` as an OAuth 2.1 protected resource with its own
 * authorization server (oidc-provider, on the ledger), so an app such as
 * Claude or ChatGPT connects with nothing but the /mcp URL. This module
 * builds it and hands the HTTP app its routes and its token check; the
 * protocol is oidc-provider's, the money and ledger rules ours.
 */
import { Router, type Request, type Response } from "express";
import type { ApiKeys } from "../accounts/api-keys.js";
import type { OAuthConfig } from "../config-oauth.js";
import type { Ledger } from "../ledger/index.js";
import type { Logger } from "../log.js";
import type { OrgRef } from "../metering/types.js";
import { LedgerAdapters } from "./adapter.js";
import { Connections } from "./connections.js";
import { interactionRoutes } from "./interactions.js";
import { serverKeys } from "./keys.js";
import { Members } from "./members.js";
import { Proofs } from "./proofs.js";
import { createProvider, publicAddress, type PublicAddress } from "./provider.js";
import { challenge, checkAccessToken, RESOURCE_METADATA_PATH, resourceMetadata, type BearerCheck } from "./resource.js";
import { Upstream } from "./upstream.js";

export { Connections } from "./connections.js";
export { Members, memberEmail } from "./members.js";
export { SCOPES, type PublicAddress } from "./provider.js";
export type { BearerCheck } from "./resource.js";

export interface OAuthServer {
  address: PublicAddress;
  /** The well-known documents, the authorization server's endpoints and its pages. */
  routes: Router;
  /** Checks an access token presented to /mcp. */
  checkAccessToken(value: string): Promise<BearerCheck>;
  /** The WWW-Authenticate value of a 401 or 403 from /mcp. */
  challenge: (refusal?: Parameters<typeof challenge>[1]) => string;
}

export interface OAuthDeps {
  /** ECN_PUBLIC_URL, or http://HOST:PORT of the listener. */
  publicUrl: string;
  oauth: OAuthConfig;
  ledger: Ledger;
  keys: ApiKeys;
  creditUsdValue: string;
  dashboardOrg: (req: Request) => Promise<OrgRef | "operator" | null>;
  logger: Logger;
  now?: () => number;
}

/** The authorization server metadata is asked for under every name a client may try: all answer with the one document. */
const AUTHORIZATION_SERVER_METADATA = [
  "/.well-known/oauth-authorization-server",
  "/.well-known/oauth-authorization-server/*rest",
  "/.well-known/openid-configuration",
  "/.well-known/openid-configuration/*rest",
  "/mcp/.well-known/oauth-authorization-server",
  "/mcp/.well-known/openid-configuration",
];

/** Endpoints a client in a browser may call from its own origin (the server's Origin guard lets them through; CORS is oidc-provider's). */
export function isCrossOriginEndpoint(path: string): boolean {
  return path.startsWith("/.well-known/") || path.startsWith("/mcp/.well-known/") || /^\/oauth\/(token|register|revoke|jwks)$/.test(path);
}

export async function createOAuthServer(deps: OAuthDeps): Promise<OAuthServer> {
  const now = deps.now ?? Date.now;
  const address = publicAddress(deps.publicUrl);
  const keys = await serverKeys(deps.ledger, now());
  const adapters = new LedgerAdapters(deps.ledger, now);
  const provider = createProvider({ address, adapters, keys, oauth: deps.oauth, logger: deps.logger });
  const connections = new Connections(deps.ledger, now);
  const upstream = deps.oauth.upstream ? new Upstream(deps.oauth.upstream, `${address.base}/oauth/upstream/callback`, deps.ledger, now) : undefined;

  const callback = provider.callback();
  const origin = new URL(address.base);
  /** Hands a request to oidc-provider as the public URL names it: whatever Host or scheme reached this process. */
  const toProvider = (req: Request, res: Response) => {
    req.headers["x-forwarded-proto"] = origin.protocol.slice(0, -1);
    req.headers["x-forwarded-host"] = origin.host;
    req.originalUrl = address.prefix + req.url;
    void callback(req, res);
  };

  const routes = Router();
  routes.get([RESOURCE_METADATA_PATH, `${RESOURCE_METADATA_PATH}/mcp`], (_req, res) => {
    res.set({ "Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=300" }).json(resourceMetadata(address));
  });
  routes.get(`${RESOURCE_METADATA_PATH}/*rest`, (req, res) => {
    res.status(404).json({ error: { code: "not_found", message: `${req.path} names no protected resource: this server's is ${address.resource}` } });
  });
  routes.get(AUTHORIZATION_SERVER_METADATA, (req, res) => {
    req.url = "/.well-known/openid-configuration";
    toProvider(req, res);
  });
  routes.use(
    interactionRoutes({
      provider,
      address,
      keys: deps.keys,
      proofs: new Proofs(deps.ledger, now),
      connections,
      members: new Members(deps.ledger, now),
      upstream,
      csrfKey: keys.csrfKey,
      capMicroCredits: deps.oauth.connectionDayCapMicroCredits,
      creditUsdValue: deps.creditUsdValue,
      dashboardOrg: deps.dashboardOrg,
      logger: deps.logger,
    }),
  );
  routes.use((req, res, next) => (req.path.startsWith("/oauth/") ? toProvider(req, res) : next()));

  return {
    address,
    routes,
    checkAccessToken: (value) => checkAccessToken({ provider, address, connections, ledger: deps.ledger }, value),
    challenge: (refusal) => challenge(address, refusal),
  };
}
