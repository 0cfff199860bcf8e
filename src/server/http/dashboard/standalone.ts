/**
 * The dashboard alone (`ecn-mcp dashboard`): the same routes as in HTTP
 * mode, behind the same Host and Origin guards, with no MCP endpoint and no
 * REST API beside them.
 */
import express, { type Express } from "express";
import type { Logger } from "../../../log.js";
import type { Dashboard } from "../../../reports/dashboard.js";
import { errorHandler, sendError } from "../errors.js";
import { allowHosts, allowOrigins } from "../guards.js";
import type { DashboardAssets } from "./assets.js";
import { dashboardRoutes } from "./routes.js";
import type { Viewers } from "./viewers.js";

export function createDashboardApp(options: {
  dashboard: Dashboard;
  viewers: Viewers;
  assets: DashboardAssets;
  logger: Logger;
  allowedHosts: readonly string[];
}): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use(allowHosts(options.allowedHosts));
  app.use(allowOrigins([]));
  app.get("/", (_req, res) => res.redirect(302, "/dashboard/"));
  app.use(dashboardRoutes(options.dashboard, options.viewers, options.assets));
  app.use((req, res) => sendError(res, 404, "not_found", `no route ${req.method} ${req.path}`));
  app.use(errorHandler(options.logger));
  return app;
}
