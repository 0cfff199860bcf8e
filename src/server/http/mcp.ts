/**
 * POST /mcp: Streamable HTTP, stateless. Every request gets a fresh server and
 * transport, so any instance can answer any request (no sticky sessions). The
 * response is an SSE stream (not the JSON-response mode), so progress and
 * logging notifications reach the client. Closing the connection aborts the
 * request's handlers: that is how a client cancels in stateless mode.
 */
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { RequestHandler } from "express";
import { EcnError } from "../../errors.js";
import type { OrgRef } from "../../metering/types.js";
import { createServer, type Extra, type ServerDeps } from "../create-server.js";

/** The organisation of the authenticated API key, as the auth guard put it on the request. */
export async function orgFromAuth(extra: Extra): Promise<OrgRef> {
  const org = (extra.authInfo?.extra as { org?: OrgRef } | undefined)?.org;
  if (!org) throw new EcnError("unauthorized", "this request carries no authenticated API key");
  return org;
}

export function mcpHandler(deps: Omit<ServerDeps, "resolveOrg">): RequestHandler {
  return async (req, res, next) => {
    try {
      const server = createServer({ ...deps, resolveOrg: orgFromAuth });
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on("close", () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    } catch (error) {
      next(error);
    }
  };
}
