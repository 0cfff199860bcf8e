/**
 * The protected resource side: what /mcp answers an OAuth client. Its
 * metadata (RFC 9728), the WWW-Authenticate challenge of a 401 or 403, and
 * the check of an access token on every request: issued by this server, for
 * this server's /mcp (a token minted for another resource is refused), not
 * expired, and its connection not revoked. Nothing is cached, so a
 * revocation is seen by every instance at the next request.
 */
import type Provider from "oidc-provider";
import type { ConnectionRecord, Ledger } from "../ledger/index.js";
import type { OrgRef } from "../metering/types.js";
import type { Connections } from "./connections.js";
import { SCOPES, type PublicAddress } from "./provider.js";

export const RESOURCE_METADATA_PATH = "/.well-known/oauth-protected-resource";

/** RFC 9728 metadata of /mcp, the one resource this server protects. */
export function resourceMetadata(address: PublicAddress): Record<string, unknown> {
  return {
    resource: address.resource,
    authorization_servers: [address.base],
    scopes_supported: [SCOPES.free, SCOPES.paid],
    bearer_methods_supported: ["header"],
    resource_name: "ecn-mcp",
  };
}

/** The WWW-Authenticate value of a refusal: where the metadata is, and what went wrong or which scope is missing. */
export function challenge(
  address: PublicAddress,
  refusal: { error?: "invalid_token" | "insufficient_scope"; description?: string; scope?: string } = {},
): string {
  const parts = [`resource_metadata="${address.base}${RESOURCE_METADATA_PATH}/mcp"`];
  if (refusal.error) parts.push(`error="${refusal.error}"`);
  if (refusal.description) parts.push(`error_description="${refusal.description.replace(/["\\]/g, "")}"`);
  parts.push(`scope="${refusal.scope ?? `${SCOPES.free} ${SCOPES.paid}`}"`);
  return `Bearer ${parts.join(", ")}`;
}

export type BearerCheck = { ok: true; org: OrgRef; connection: ConnectionRecord; scopes: Set<string> } | { ok: false; why: string };

/** Checks an access token presented to /mcp. */
export async function checkAccessToken(
  deps: { provider: Provider; address: PublicAddress; connections: Connections; ledger: Ledger },
  value: string,
): Promise<BearerCheck> {
  if (value.length > 512) return { ok: false, why: "the access token is not one this server issued" };
  const token = await deps.provider.AccessToken.find(value);
  if (!token) return { ok: false, why: "the access token is expired, revoked or not one this server issued" };
  const audience = Array.isArray(token.aud) ? token.aud : [token.aud];
  if (audience.length !== 1 || audience[0] !== deps.address.resource) return { ok: false, why: "the access token was issued for another resource" };
  const connection = token.grantId ? await deps.connections.live(token.grantId) : null;
  if (!connection) return { ok: false, why: "this connection was revoked: connect the app again" };
  const org = await deps.ledger.findOrg(connection.orgId);
  if (!org || org.id !== token.accountId) return { ok: false, why: "the access token's organisation is unknown" };
  await deps.connections.touch(connection);
  return { ok: true, org: { id: org.id, name: org.name }, connection, scopes: new Set((token.scope ?? "").split(" ").filter(Boolean)) };
}
