/**
 * The HTTP app's door to the authorization server (src/auth). It is built
 * once the server knows its public address (ECN_PUBLIC_URL, or the port it
 * got), so for the first moments after start these routes answer 503.
 *
 * Building it writes the server's signing keys to the ledger on first start.
 * A server whose ledger cannot be written still starts (its health check
 * says why, and paid calls are refused with ledger_unavailable); the OAuth
 * routes answer 503 and the build is tried again at the next OAuth request,
 * so connectors work as soon as the ledger does.
 */
import type { RequestHandler } from "express";
import type { OAuthServer } from "../../auth/index.js";
import { classifyFailure } from "../../failures.js";
import { sendError } from "./errors.js";

export class OAuthGate {
  current: OAuthServer | undefined;
  private build: (() => Promise<OAuthServer>) | undefined;
  private onFailure: ((error: unknown) => void) | undefined;
  private building: Promise<OAuthServer | undefined> | undefined;

  /**
   * Builds the authorization server now. A ledger failure is not fatal: it is
   * handed to `onFailure` (as is any failure of a later retry) and the build
   * is retried on demand; any other failure at start is thrown.
   */
  async start(build: () => Promise<OAuthServer>, onFailure: (error: unknown) => void): Promise<void> {
    this.build = build;
    this.onFailure = onFailure;
    try {
      this.current = await build();
    } catch (error) {
      if (classifyFailure(error).kind !== "ledger") throw error;
      onFailure(error);
    }
  }

  /** The authorization server, built again if an earlier build met a ledger that could not be written. */
  private async ready(): Promise<OAuthServer | undefined> {
    if (this.current || !this.build) return this.current;
    const build = this.build;
    this.building ??= build()
      .then((server) => (this.current = server))
      .catch((error: unknown) => {
        this.onFailure?.(error);
        return undefined;
      })
      .finally(() => (this.building = undefined));
    return this.building;
  }

  /** The well-known documents, /oauth/* endpoints and pages. */
  routes(): RequestHandler {
    return (req, res, next) => {
      if (this.current) return this.current.routes(req, res, next);
      const isOAuthPath = req.path.startsWith("/oauth/") || req.path.startsWith("/.well-known/oauth") || req.path.startsWith("/.well-known/openid");
      if (!isOAuthPath) return next();
      this.ready().then(
        (server) => {
          if (server) return server.routes(req, res, next);
          const why = this.build
            ? "the authorization server cannot start while the ledger cannot be written: retry later"
            : "the authorization server is starting: retry in a moment";
          sendError(res, 503, this.build ? "ledger_unavailable" : "starting", why, { "Retry-After": "1" });
        },
        (error: unknown) => next(error),
      );
    };
  }
}
