/**
 * The HTTP routes of money coming in. Stripe's webhook takes the raw body
 * (its signature is over the exact bytes) and no API key: the signature is
 * its authentication. Checkout (`POST /api/v1/credits/checkout`) and the
 * dashboard's billing data take an organisation's key, the operator token,
 * or a dashboard session, like every dashboard route.
 */
import express, { Router, type NextFunction, type Request, type Response } from "express";
import { z } from "zod";
import type { Billing } from "../../billing/billing.js";
import type { Ledger } from "../../ledger/index.js";
import { creditsToMicro, parseDecimal } from "../../money.js";
import { NotVisible, type Viewer } from "../../reports/dashboard.js";
import { billingView } from "../../reports/billing.js";
import { invalidInput } from "../create-server.js";
import type { Viewers } from "./dashboard/viewers.js";
import { sendError } from "./errors.js";

const checkoutBody = z.object({
  pack: z.string().trim().min(1).max(100).optional(),
  org: z.string().trim().min(1).max(200).optional().describe("The operator names the organisation; a key or session is its own."),
});
const credits = z.union([z.number().positive(), z.string().regex(/^\d+(\.\d{1,6})?$/)]).transform((v) => creditsToMicro(parseDecimal(String(v))));
const rechargeBody = z.object({
  below: credits,
  to: credits,
  max_month_usd: z.union([z.number().positive(), z.string().regex(/^\d+(\.\d{1,2})?$/)]).transform((v) => Math.round(Number(v) * 100)),
});

export function billingRoutes(billing: Billing, ledger: Ledger, viewers: Viewers): Router {
  const router = Router();

  router.post("/api/v1/stripe/webhook", express.raw({ type: () => true, limit: "1mb" }), async (req: Request, res: Response, next: NextFunction) => {
    try {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const answer = await billing.receiveStripeWebhook(raw, typeof req.headers["stripe-signature"] === "string" ? req.headers["stripe-signature"] : undefined);
      res.status(answer.status).json(answer.body);
    } catch (error) {
      next(error);
    }
  });

  /** The organisation a viewer acts for: its own, or (the operator) the one named. */
  const orgOf = async (viewer: Viewer, named: string | undefined) => {
    if (viewer.kind === "tenant") {
      if (named !== undefined && named !== viewer.org.id && named !== viewer.org.name) throw new NotVisible(`no organisation ${JSON.stringify(named)}`);
      return viewer.org;
    }
    const org = named === undefined ? null : await ledger.findOrg(named);
    if (!org) throw new NotVisible(named === undefined ? 'the operator names the organisation: {"org": ...}' : `no organisation ${JSON.stringify(named)}`);
    return { id: org.id, name: org.name };
  };

  const authed = (handler: (req: Request, res: Response, viewer: Viewer) => Promise<unknown>) => async (req: Request, res: Response, next: NextFunction) => {
    try {
      const viewer = await viewers.ofRequest(req);
      if (!viewer)
        return sendError(res, 401, "unauthorized", "send an API key (or ECN_ADMIN_TOKEN) as a bearer token, or sign in at /dashboard/", {
          "WWW-Authenticate": 'Bearer realm="ecn-mcp"',
        });
      res.set("Cache-Control", "no-store").json(await handler(req, res, viewer));
    } catch (error) {
      if (error instanceof NotVisible) return sendError(res, 404, "not_found", error.message);
      next(error);
    }
  };

  router.post(
    "/api/v1/credits/checkout",
    express.json({ limit: "4kb" }),
    authed(async (req, _res, viewer) => {
      const parsed = checkoutBody.safeParse(req.body ?? {});
      if (!parsed.success) throw invalidInput(parsed.error);
      const org = await orgOf(viewer, parsed.data.org);
      const view = await billing.checkout(org, parsed.data.pack);
      return { url: view.url, session_id: view.session_id, pack: view.pack, credits: view.credits, usd: view.usd };
    }),
  );
  router.get(
    "/api/v1/dashboard/orgs/:org/billing",
    authed(async (req, _res, viewer) => billingView(ledger, (await orgOf(viewer, String(req.params.org))).id, billing.paymentsConfigured)),
  );
  router.put(
    "/api/v1/dashboard/orgs/:org/recharge",
    express.json({ limit: "4kb" }),
    authed(async (req, _res, viewer) => {
      const parsed = rechargeBody.safeParse(req.body ?? {});
      if (!parsed.success) throw invalidInput(parsed.error);
      const org = await orgOf(viewer, String(req.params.org));
      const { below, to, max_month_usd } = parsed.data;
      await ledger.billing.setRecharge({ orgId: org.id, belowMicroCredits: below, targetMicroCredits: to, maxMonthUsdCents: max_month_usd }, Date.now());
      billing.kick();
      return billingView(ledger, org.id, billing.paymentsConfigured);
    }),
  );
  router.delete(
    "/api/v1/dashboard/orgs/:org/recharge",
    authed(async (req, _res, viewer) => {
      const org = await orgOf(viewer, String(req.params.org));
      await ledger.billing.rechargeOff(org.id, Date.now());
      return billingView(ledger, org.id, billing.paymentsConfigured);
    }),
  );
  return router;
}
