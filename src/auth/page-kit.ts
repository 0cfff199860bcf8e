/**
 * What every sign-in and consent page shares: the interaction it belongs to
 * (found through oidc-provider's interaction cookie, so a page only works in
 * the browser that started the authorization), the CSRF token of its forms,
 * the security headers, and the error page.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Request, Response } from "express";
import type Provider from "oidc-provider";
import type { Interaction } from "oidc-provider";
import { errorPage, type ClientView } from "./pages.js";

/** A page answered instead of the one asked for (expired interaction, bad form, refusal). */
export class PageError extends Error {
  override readonly name = "PageError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The form token of an interaction: an HMAC of its id under the server's key, so it needs no storage and fits only that interaction. */
export function csrfToken(key: string, uid: string): string {
  return createHmac("sha256", key).update(`csrf:${uid}`).digest("base64url");
}

export function checkCsrf(key: string, uid: string, given: unknown): void {
  const expected = Buffer.from(csrfToken(key, uid));
  const actual = Buffer.from(typeof given === "string" ? given : "");
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new PageError(403, "csrf", "This form did not come from this page (its security token is missing or wrong). Start connecting again from the app.");
  }
}

/** The interaction of this request: its cookie must be there and name the interaction in the URL. */
export async function interactionOf(provider: Provider, req: Request, res: Response): Promise<Interaction> {
  let interaction: Interaction;
  try {
    interaction = await provider.interactionDetails(req, res);
  } catch {
    throw new PageError(400, "expired", "This connection request has expired or was opened in another browser. Start connecting again from the app.");
  }
  if (interaction.uid !== req.params.uid)
    throw new PageError(400, "mismatch", "This page belongs to another connection request. Start connecting again from the app.");
  return interaction;
}

/** Where a form may send the browser: this server, then (after the redirects of a finished interaction) the client's redirect URI. */
function formTargets(redirectUri: string): string {
  const url = URL.parse(redirectUri);
  if (!url) return "";
  return url.protocol === "http:" || url.protocol === "https:" ? ` ${url.origin}` : ` ${url.protocol}`;
}

export function pageHeaders(res: Response, redirectUri = ""): void {
  res.set({
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": `default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'${formTargets(redirectUri)}; frame-ancestors 'none'; base-uri 'none'`,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    // Not no-referrer: under it a browser sends `Origin: null` with the forms' POSTs, and the Origin check would refuse them.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
  });
}

export function sendError(res: Response, prefix: string, error: PageError): void {
  pageHeaders(res);
  res.status(error.status).send(errorPage(prefix, error.code, error.message));
}

export const param = (interaction: Interaction, name: string): string => {
  const value = interaction.params[name];
  return typeof value === "string" ? value : "";
};

/** The client as the person should see it: its own name, its site, and where approving sends them. */
export async function clientView(provider: Provider, interaction: Interaction): Promise<ClientView> {
  const clientId = param(interaction, "client_id");
  const client = await provider.Client.find(clientId).catch(() => undefined);
  const redirect = URL.parse(param(interaction, "redirect_uri"));
  const metadataUrl = /^https:\/\//.test(clientId) ? clientId : null;
  return {
    name: client?.clientName?.slice(0, 100) || (metadataUrl ? new URL(metadataUrl).host : "An unnamed app"),
    site: client?.clientUri ?? metadataUrl,
    returnsTo: redirect
      ? redirect.protocol === "http:" || redirect.protocol === "https:"
        ? redirect.host
        : redirect.protocol.replace(/:$/, " app")
      : "the app",
    metadataUrl,
  };
}
