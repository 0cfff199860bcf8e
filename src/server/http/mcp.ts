/**
 * POST /mcp: Streamable HTTP, stateless. Every request gets a fresh server
 * (so any instance can answer any request: no sticky sessions) and our
 * exchange transport (exchange.ts). The response is an SSE stream, so
 * progress and logging notifications reach the client. Closing the
 * connection aborts the request's handlers: that is how a client cancels in
 * stateless mode.
 */
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { RequestHandler } from "express";
import { EcnError } from "../../errors.js";
import type { CallChannel, OrgRef } from "../../metering/types.js";
import { createServer, type Extra, type ServerDeps } from "../create-server.js";
import { ExchangeTransport } from "../sdk-internals.js";
import { readExchange } from "./exchange.js";

/** The organisation of the authenticated API key, as the auth guard put it on the request. */
export async function orgFromAuth(extra: Extra): Promise<OrgRef> {
  const org = (extra.authInfo?.extra as { org?: OrgRef } | undefined)?.org;
  if (!org) throw new EcnError("unauthorized", "this request carries no authenticated API key");
  return org;
}

/** The connection or API key the request came through, as the auth guard put it on the request. */
export function channelFromAuth(extra: Extra): CallChannel | undefined {
  return (extra.authInfo?.extra as { channel?: CallChannel } | undefined)?.channel;
}

export function mcpHandler(deps: Omit<ServerDeps, "resolveOrg">): RequestHandler {
  return async (req, res, next) => {
    try {
      if (!req.is("application/json")) {
        res.status(415).json({ jsonrpc: "2.0", error: { code: -32000, message: "Unsupported Media Type: Content-Type must be application/json" }, id: null });
        return;
      }
      const messages = readExchange(req, req.body);
      if (!Array.isArray(messages)) {
        res.status(messages.status).json({ jsonrpc: "2.0", error: { code: messages.code, message: messages.message }, id: null });
        return;
      }
      const server = createServer({ ...deps, resolveOrg: orgFromAuth, resolveChannel: channelFromAuth });
      const transport = new ExchangeTransport(req, res, messages, (req as { auth?: AuthInfo }).auth);
      res.on("close", () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      transport.deliver();
    } catch (error) {
      next(error);
    }
  };
}
