/** The dashboard's pieces for an app, shared by `ecn-mcp http` and `ecn-mcp dashboard`. */
import { ApiKeys } from "../accounts/api-keys.js";
import { Dashboard } from "../reports/dashboard.js";
import { loadDashboardAssets } from "../server/http/dashboard/assets.js";
import { Viewers } from "../server/http/dashboard/viewers.js";
import type { App } from "./app.js";

export function dashboardParts(app: App, keys = new ApiKeys(app.ledger)) {
  return {
    dashboard: new Dashboard({ ledger: app.ledger, pricing: app.pricing, identity: app.reconciler.identity, instanceTtlMs: app.config.instances.ttlMs }),
    viewers: new Viewers(app.ledger, keys, app.config.http.adminToken),
    assets: loadDashboardAssets(),
  };
}
