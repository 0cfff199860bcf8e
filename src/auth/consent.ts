/**
 * Consent, once the person allowed: the grant oidc-provider issues tokens
 * from (the scopes chosen, the ones left out marked rejected so it does not
 * ask again), and the connection that stands for it with its daily cap.
 */
import type Provider from "oidc-provider";
import type { Interaction } from "oidc-provider";
import type { ConnectionRecord } from "../ledger/index.js";
import { creditsToMicro, microToCreditsText, parseDecimal } from "../money.js";
import type { Connections } from "./connections.js";
import { clientView, param } from "./page-kit.js";
import type { Proof } from "./proofs.js";
import { SCOPES, type PublicAddress } from "./provider.js";

const TOOL_SCOPES = new Set<string>([SCOPES.free, SCOPES.paid]);
/** OpenID scopes a client may ask for besides ours: granted as asked (they give no access to tools). */
const OPENID_SCOPES = new Set(["openid", "offline_access"]);

export function requestedScopes(interaction: Interaction): Set<string> {
  return new Set(param(interaction, "scope").split(" ").filter(Boolean));
}

/** The cap as typed (decimal credits), if it is above zero and at most the server's ceiling. */
function parseCap(text: string, ceiling: bigint): bigint | null {
  try {
    const micro = creditsToMicro(parseDecimal(text.trim()));
    return micro > 0n && micro <= ceiling ? micro : null;
  } catch {
    return null;
  }
}

export interface ConsentInput {
  provider: Provider;
  address: PublicAddress;
  connections: Connections;
  capMicroCredits: bigint;
  interaction: Interaction;
  org: { id: string; name: string };
  proof: Proof;
  capText: string;
  /** The person left "Paid tools" ticked. */
  paid: boolean;
}

export async function grantConsent(input: ConsentInput): Promise<{ connection: ConnectionRecord } | { problem: string }> {
  const { provider, address, interaction, org } = input;
  const cap = parseCap(input.capText, input.capMicroCredits);
  if (cap === null) return { problem: `The daily cap must be a number of credits above 0 and at most ${microToCreditsText(input.capMicroCredits)}.` };
  const requested = requestedScopes(interaction);
  // Paid tools include the free ones; a person can only give what the app asked for.
  const tools = new Set<string>();
  if (requested.has(SCOPES.free) || requested.has(SCOPES.paid)) tools.add(SCOPES.free);
  if (requested.has(SCOPES.paid) && input.paid) tools.add(SCOPES.paid);
  const rejected = [...requested].filter((s) => TOOL_SCOPES.has(s) && !tools.has(s));

  const clientId = param(interaction, "client_id");
  const grant = new provider.Grant({ accountId: org.id, clientId });
  // tools:* are configured scopes of the server too, so the grant records them on both sides.
  const granted = [...requested].filter((s) => OPENID_SCOPES.has(s) || (tools.has(s) && requested.has(s)));
  if (granted.length) grant.addOIDCScope(granted.join(" "));
  if (tools.size) grant.addResourceScope(address.resource, [...tools].join(" "));
  if (rejected.length) {
    grant.rejectOIDCScope(rejected.join(" "));
    grant.rejectResourceScope(address.resource, rejected.join(" "));
  }
  const grantId = await grant.save();
  const connection = await input.connections.create({
    org,
    clientId,
    clientName: (await clientView(provider, interaction)).name,
    scope: [...tools].join(" "),
    dayCapMicroCredits: cap,
    grantId,
    signedInVia: input.proof.via,
    signedInAs: input.proof.as,
  });
  return { connection };
}
