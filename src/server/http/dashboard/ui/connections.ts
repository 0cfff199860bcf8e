/** The Connections page: every app an organisation connected with OAuth, what it spent, its cap and scope, and a revoke button. */
import type { ConnectionItem, ConnectionsPage } from "./api.js";
import { both, h, table, when } from "./format.js";
import type { View } from "./views.js";

const scopeText = (scope: string) => (scope.split(" ").includes("tools:paid") ? "free and paid tools" : "free tools");
const via: Record<string, string> = { api_key: "API key", dashboard: "dashboard session", oidc: "identity provider" };

function status(c: ConnectionItem, revoke: (c: ConnectionItem) => void): HTMLElement {
  if (c.revoked_at) return h("span", { class: "revoked", "data-test": "revoked" }, `revoked ${when(c.revoked_at)}`);
  const button = h("button", { type: "button", class: "secondary", "data-test": "revoke", "data-id": c.id }, "Revoke");
  button.addEventListener("click", () => revoke(c));
  return button;
}

export function connectionsView(page: ConnectionsPage, revoke: (c: ConnectionItem) => void): View {
  const live = page.connections.filter((c) => !c.revoked_at).length;
  return {
    el: h(
      "div",
      {},
      h("h2", { "data-test": "connections-title" }, `Connections of ${page.org.name}`),
      h(
        "p",
        { class: "muted" },
        `${live} app${live === 1 ? "" : "s"} connected. Each may spend at most its daily cap (UTC day); revoking one stops it at its next request.`,
      ),
      table(
        "connections",
        ["App", "May use", "Cap per day", "Spent today", "Spent in all", "Calls", "Connected", "Last used", "Proven with", ""],
        page.connections.map((c) => [
          h("span", { title: c.client_id, "data-test": "client" }, c.client_name),
          scopeText(c.scope),
          both(c.day_cap),
          h("span", { "data-test": "today" }, both(c.spent_today)),
          both(c.spent_total),
          c.calls,
          when(c.created_at),
          c.last_used_at ? when(c.last_used_at) : "never",
          via[c.signed_in_via] ?? c.signed_in_via,
          status(c, revoke),
        ]),
      ),
    ),
  };
}
