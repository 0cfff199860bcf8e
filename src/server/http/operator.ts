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

/** Why the operator token is refused on /mcp. */
export const OPERATOR_ON_MCP = "the operator token reads data; calling tools takes an organisation's API key";

/** True when the Authorization header carries the operator token. */
export function isOperatorToken(adminToken: string | undefined, authorization: string | undefined): boolean {
  if (!adminToken) return false;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  return !!bearer && sameSecret(bearer[1]!, adminToken);
}

export function operatorToken(adminToken: string | undefined, ledger: Ledger): RequestHandler {
  return async (req, res, next) => {
    try {
      if (!isOperatorToken(adminToken, req.headers.authorization)) return next();
      if (req.path === "/mcp") return sendError(res, 403, "forbidden", OPERATOR_ON_MCP);
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
