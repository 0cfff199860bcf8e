/** The REST credit API: the key's organisation only, whatever the query says. */
import { Router } from "express";
import { z } from "zod";
import { FEATURES } from "../../features.js";
import type { Accounts } from "../../accounts/accounts.js";
import { invalidInput } from "../create-server.js";
import { callerOf } from "./guards.js";
import { sendError } from "./errors.js";

const instant = z.iso
  .datetime({ offset: true })
  .or(z.iso.date())
  .transform((text) => Date.parse(text));

const usageQuery = z.object({
  feature: z.enum(FEATURES).optional(),
  since: instant.optional(),
  until: instant.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().min(1).max(200).optional(),
});

export function restRoutes(accounts: Accounts): Router {
  const router = Router();
  router.get("/api/v1/credits/wallet/", async (_req, res) => {
    res.json(await accounts.wallet(callerOf(res).org.id));
  });
  router.get("/api/v1/credits/rate-cards/", async (_req, res) => {
    res.json(await accounts.rateCard());
  });
  router.get("/api/v1/usage/", async (req, res) => {
    // Unknown query fields (org_id, say) are ignored: the key decides the organisation.
    const parsed = usageQuery.safeParse(req.query);
    if (!parsed.success) return sendError(res, 400, "invalid_input", invalidInput(parsed.error).message);
    const { cursor, ...filter } = parsed.data;
    res.json(await accounts.usagePage(callerOf(res).org.id, { ...filter, ...(cursor ? { cursor } : {}) }));
  });
  return router;
}
