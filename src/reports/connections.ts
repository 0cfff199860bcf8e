/** The Connections page of an organisation: the apps it connected, what each spent today and in all, its cap and scope. */
import type { ConnectionView } from "../ledger/index.js";
import type { Decimal } from "../money.js";
import { amount } from "./money-view.js";
import type { ConnectionItem } from "./views.js";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function connectionItem(c: ConnectionView, creditUsdValue: Decimal): ConnectionItem {
  return {
    id: c.id,
    client_name: c.clientName,
    client_id: c.clientId,
    scope: c.scope,
    day_cap: amount(c.dayCapMicroCredits, creditUsdValue),
    spent_today: amount(c.todayChargedMicroCredits, creditUsdValue),
    spent_total: amount(c.totalChargedMicroCredits, creditUsdValue),
    calls: c.calls,
    signed_in_via: c.signedInVia,
    created_at: new Date(c.createdAt).toISOString(),
    last_used_at: iso(c.lastUsedAt),
    revoked_at: iso(c.revokedAt),
  };
}
