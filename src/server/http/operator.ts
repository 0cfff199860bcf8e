/**
 * The operator token (ECN_ADMIN_TOKEN) on the REST API: it reads any
 * organisation's wallet and usage, named with `?org=` (id or name), and
 * nothing else. On /mcp it is refused: tools spend an organisation's money,
 * and that takes the organisation's own key.
 */
import type { RequestHandler } from "express";
import type { Ledger } from "../../ledger/index.js";
import { sendError } from "./errors.js";
import { sameSecret } from "./guards.js";

export function operatorToken(adminToken: string | undefined, ledger: Ledger): RequestHandler {
  return async (req, res, next) => {
    try {
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
      if (!adminToken || !bearer || !sameSecret(bearer[1]!, adminToken)) return next();
      if (req.path === "/mcp") return sendError(res, 403, "forbidden", "the operator token reads data; calling tools takes an organisation's API key");
      const name = typeof req.query.org === "string" ? req.query.org : "";
      if (!name) return sendError(res, 400, "invalid_input", "with the operator token, name the organisation: ?org=ID_OR_NAME");
      const org = await ledger.findOrg(name);
      if (!org) return sendError(res, 404, "not_found", `no organisation ${JSON.stringify(name)}`);
      res.locals.caller = { org: { id: org.id, name: org.name }, keyId: "operator" };
      next();
    } catch (error) {
      next(error);
    }
  };
}
