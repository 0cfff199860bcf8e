/**
 * The HTTP app's door to the authorization server (src/auth). It is built
 * once the server knows its public address (ECN_PUBLIC_URL, or the port it
 * got), so for the first moments after start these routes answer 503.
 */
import type { RequestHandler } from "express";
import type { OAuthServer } from "../../auth/index.js";
import { sendError } from "./errors.js";

export class OAuthGate {
  current: OAuthServer | undefined;

  /** The well-known documents, /oauth/* endpoints and pages. */
  routes(): RequestHandler {
    return (req, res, next) => {
      if (this.current) return this.current.routes(req, res, next);
      if (req.path.startsWith("/oauth/") || req.path.startsWith("/.well-known/oauth") || req.path.startsWith("/.well-known/openid")) {
        return sendError(res, 503, "starting", "the authorization server is starting: retry in a moment", { "Retry-After": "1" });
      }
      next();
    };
  }
}
