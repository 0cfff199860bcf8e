/**
 * The dashboard's routes: its page and assets under /dashboard/, sign-in and
 * sign-out, and its JSON data under /api/v1/dashboard/ (usable with a bearer
 * key too). Every data request is checked on the server: a tenant's key or
 * session reads its own organisation only.
 */
import express, { Router, type NextFunction, type Request, type Response } from "express";
import { z } from "zod";
import { NotVisible, OperatorOnly, type Dashboard, type Viewer } from "../../../reports/dashboard.js";
import { PERIODS, resolvePeriod } from "../../../reports/period.js";
import { invalidInput } from "../../create-server.js";
import { sendError } from "../errors.js";
import type { DashboardAssets } from "./assets.js";
import type { Viewers } from "./viewers.js";

const periodQuery = z.object({
  period: z.enum(PERIODS).default("7d"),
  from: z.string().max(10).optional(),
  to: z.string().max(10).optional(),
});
const signIn = z.object({ key: z.string().trim().min(1, "paste an API key or the operator token").max(200) });

type Handler = (req: Request, res: Response, viewer: Viewer) => Promise<unknown>;

export function dashboardRoutes(dashboard: Dashboard, viewers: Viewers, assets: DashboardAssets): Router {
  const router = Router();

  /** A data route: the viewer first (401 without one), then the answer as JSON, never cached. */
  const data = (handler: Handler) => async (req: Request, res: Response, next: NextFunction) => {
    try {
      const viewer = await viewers.ofRequest(req);
      if (!viewer) return sendError(res, 401, "unauthorized", "sign in at /dashboard/, or send an API key or ECN_ADMIN_TOKEN as a bearer token");
      res.set("Cache-Control", "no-store").json(await handler(req, res, viewer));
    } catch (error) {
      if (error instanceof NotVisible) return sendError(res, 404, "not_found", error.message);
      if (error instanceof OperatorOnly) return sendError(res, 403, "forbidden", error.message);
      next(error);
    }
  };
  const period = (req: Request) => {
    const parsed = periodQuery.safeParse(req.query);
    if (!parsed.success) throw invalidInput(parsed.error);
    return resolvePeriod(parsed.data.period, Date.now(), parsed.data.from, parsed.data.to);
  };

  router.get(
    "/api/v1/dashboard/me",
    data(async (_req, _res, viewer) => ({ viewer })),
  );
  router.get(
    "/api/v1/dashboard/orgs",
    data((_req, _res, viewer) => dashboard.organisations(viewer)),
  );
  router.get(
    "/api/v1/dashboard/orgs/:org",
    data((req, _res, viewer) => dashboard.organisation(viewer, String(req.params.org), period(req))),
  );
  router.get(
    "/api/v1/dashboard/orgs/:org/connections",
    data((req, _res, viewer) => dashboard.connections(viewer, String(req.params.org))),
  );
  // DELETE: no cross-site form can send it, and the session cookie is SameSite=Strict; the Origin guard refuses other pages.
  router.delete(
    "/api/v1/dashboard/connections/:id",
    data((req, _res, viewer) => dashboard.revokeConnection(viewer, String(req.params.id))),
  );
  router.get(
    "/api/v1/dashboard/margins",
    data((req, _res, viewer) => dashboard.margins(viewer, period(req))),
  );
  router.get(
    "/api/v1/dashboard/health",
    data((_req, _res, viewer) => dashboard.health(viewer)),
  );

  router.post("/dashboard/session", express.json({ limit: "4kb" }), async (req, res, next) => {
    try {
      const parsed = signIn.safeParse(req.body);
      if (!parsed.success) throw invalidInput(parsed.error);
      const signedIn = await viewers.bySecret(parsed.data.key);
      if (!signedIn) return sendError(res, 401, "unauthorized", "that key is wrong or revoked");
      await viewers.startSession(res, req, signedIn);
      res.set("Cache-Control", "no-store").json({ viewer: signedIn.viewer });
    } catch (error) {
      next(error);
    }
  });
  router.delete("/dashboard/session", async (req, res, next) => {
    try {
      await viewers.endSession(req, res);
      res.status(204).end();
    } catch (error) {
      next(error);
    }
  });
  router.get("/dashboard/sign-in", async (req, res, next) => {
    try {
      const token = typeof req.query.token === "string" ? req.query.token : "";
      if (!viewers.redeem(token)) return sendError(res, 401, "unauthorized", "this sign-in link was used already or has expired: run ecn-mcp dashboard again");
      await viewers.startSession(res, req, { viewer: { kind: "operator" }, keyId: null, via: "link" });
      res.redirect(303, "/dashboard/");
    } catch (error) {
      next(error);
    }
  });

  router.get(["/dashboard", "/dashboard/:asset"], (req, res) => {
    // Routing is not strict, so "/dashboard" lands here too: the page's relative asset links need the slash.
    if (req.path === "/dashboard") return res.redirect(301, "/dashboard/");
    const name = typeof req.params.asset === "string" ? req.params.asset : "index.html";
    const asset = assets.get(name);
    if (!asset) return sendError(res, 404, "not_found", `no dashboard asset ${name}`);
    const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
    res.set({
      "Content-Type": asset.type,
      "Cache-Control": asset.type.startsWith("text/html") ? "no-cache" : "public, max-age=3600",
      "Content-Security-Policy":
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      Vary: "Accept-Encoding",
      ...(gzip ? { "Content-Encoding": "gzip" } : {}),
    });
    res.send(gzip ? asset.gzip : asset.body);
  });
  return router;
}
