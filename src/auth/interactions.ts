/**
 * The authorization pages: oidc-provider sends the browser here whenever a
 * person must act. Step one proves an organisation (an API key of it, this
 * browser's dashboard session, or the organisation's identity provider with
 * membership); step two is consent: which tools, and a credit cap per day.
 * Allowing makes the grant and its connection, and hands the result back to
 * oidc-provider, which issues the code.
 *
 * Forms are protected three ways: the interaction cookie (SameSite=Lax, so a
 * cross-site POST arrives without it), a CSRF token per interaction, and the
 * server's Origin check in front of every route.
 */
import express, { Router, type NextFunction, type Request, type Response } from "express";
import type Provider from "oidc-provider";
import type { ApiKeys } from "../accounts/api-keys.js";
import type { Logger } from "../log.js";
import type { OrgRef } from "../metering/types.js";
import { microToCreditsText } from "../money.js";
import { grantConsent, requestedScopes } from "./consent.js";
import type { Connections } from "./connections.js";
import type { Members } from "./members.js";
import { checkCsrf, clientView, csrfToken, interactionOf, PageError, pageHeaders, param, sendError } from "./page-kit.js";
import { consentPage, signInPage } from "./pages.js";
import type { Proofs } from "./proofs.js";
import { SCOPES, type PublicAddress } from "./provider.js";
import { UpstreamRefusal, type Upstream } from "./upstream.js";

export interface InteractionDeps {
  provider: Provider;
  address: PublicAddress;
  keys: ApiKeys;
  proofs: Proofs;
  connections: Connections;
  members: Members;
  upstream: Upstream | undefined;
  csrfKey: string;
  capMicroCredits: bigint;
  creditUsdValue: string;
  /** The organisation of this browser's dashboard session: an org, "operator", or null without a session. */
  dashboardOrg: (req: Request) => Promise<OrgRef | "operator" | null>;
  logger: Logger;
}

/** Refusals the sign-in page explains after a redirect (fixed texts: nothing from the URL is shown). */
const REFUSALS: Record<string, string> = {
  not_member: "The account you signed in with is not a member of any organisation on this server. Ask the operator to add you (ecn-mcp member add).",
  upstream: "Signing in with your identity provider did not work. Try again, or paste an API key.",
};

type Handler = (req: Request, res: Response) => Promise<void>;

export function interactionRoutes(deps: InteractionDeps): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: "8kb" });
  const { provider, address } = deps;
  const page = (handler: Handler) => async (req: Request, res: Response, next: NextFunction) => {
    try {
      await handler(req, res);
    } catch (error) {
      if (error instanceof PageError) return sendError(res, address.prefix, error);
      next(error);
    }
  };
  const here = (uid: string) => `${address.prefix}/oauth/interaction/${uid}`;

  /** Renders the step the interaction is at: sign-in until an organisation is proven, then consent. */
  async function show(req: Request, res: Response, status = 200, error?: string): Promise<void> {
    const interaction = await interactionOf(provider, req, res);
    const { uid } = interaction;
    const common = { prefix: address.prefix, uid, csrf: csrfToken(deps.csrfKey, uid), client: await clientView(provider, interaction) };
    const proof = await deps.proofs.get(uid);
    pageHeaders(res, param(interaction, "redirect_uri"));
    const refusal = typeof req.query.refused === "string" ? REFUSALS[req.query.refused] : undefined;
    if (!proof) {
      res.status(status).send(signInPage({ ...common, upstream: deps.upstream !== undefined, error: error ?? refusal }));
      return;
    }
    res.status(status).send(
      consentPage({
        ...common,
        error,
        orgs: proof.orgs,
        provenAs: proof.shown,
        paidRequested: requestedScopes(interaction).has(SCOPES.paid),
        capCredits: microToCreditsText(deps.capMicroCredits),
        creditUsdValue: deps.creditUsdValue,
      }),
    );
  }

  /** A POST of one of the pages' forms: its interaction, and its CSRF token checked first. */
  async function posted(req: Request, res: Response) {
    const interaction = await interactionOf(provider, req, res);
    checkCsrf(deps.csrfKey, interaction.uid, (req.body as Record<string, unknown> | undefined)?.csrf);
    return { interaction, body: (req.body ?? {}) as Record<string, unknown> };
  }

  router.get(
    "/oauth/interaction/:uid",
    page((req, res) => show(req, res)),
  );

  router.post(
    "/oauth/interaction/:uid/key",
    form,
    page(async (req, res) => {
      const { interaction, body } = await posted(req, res);
      const caller = await deps.keys.authenticate(typeof body.key === "string" ? body.key.trim() : "");
      if (!caller) return show(req, res, 401, "That API key is wrong or revoked.");
      await deps.proofs.save(interaction.uid, { orgs: [caller.org], via: "api_key", as: caller.keyId, shown: "an API key of the organisation" });
      res.redirect(303, here(interaction.uid));
    }),
  );

  router.post(
    "/oauth/interaction/:uid/dashboard",
    form,
    page(async (req, res) => {
      const { interaction } = await posted(req, res);
      const org = await deps.dashboardOrg(req);
      if (org === null) return show(req, res, 401, "This browser is not signed in to the dashboard. Paste an API key instead.");
      if (org === "operator") return show(req, res, 403, "The operator's session reads every organisation but connects none: paste an organisation's API key.");
      await deps.proofs.save(interaction.uid, { orgs: [org], via: "dashboard", as: null, shown: "your dashboard session" });
      res.redirect(303, here(interaction.uid));
    }),
  );

  router.get(
    "/oauth/interaction/:uid/upstream",
    page(async (req, res) => {
      const interaction = await interactionOf(provider, req, res);
      if (!deps.upstream) throw new PageError(404, "no_upstream", "This server has no identity provider configured.");
      res.redirect(303, await deps.upstream.start(interaction.uid));
    }),
  );

  router.get(
    "/oauth/upstream/callback",
    page(async (req, res) => {
      if (!deps.upstream) throw new PageError(404, "no_upstream", "This server has no identity provider configured.");
      const query = req.originalUrl.includes("?") ? req.originalUrl.slice(req.originalUrl.indexOf("?") + 1) : "";
      let signedIn: { uid: string; email: string };
      try {
        signedIn = await deps.upstream.finish(query);
      } catch (error) {
        if (error instanceof UpstreamRefusal) throw new PageError(400, "upstream", error.message);
        deps.logger.warn("sign-in through the identity provider failed", { error: error instanceof Error ? error.message : String(error) });
        throw new PageError(502, "upstream", REFUSALS.upstream!);
      }
      const orgs = await deps.members.organisationsOf(signedIn.email);
      if (orgs.length === 0) return res.redirect(303, `${here(signedIn.uid)}?refused=not_member`);
      await deps.proofs.save(signedIn.uid, { orgs, via: "oidc", as: signedIn.email, shown: signedIn.email });
      res.redirect(303, here(signedIn.uid));
    }),
  );

  router.post(
    "/oauth/interaction/:uid/consent",
    form,
    page(async (req, res) => {
      const { interaction, body } = await posted(req, res);
      const proof = await deps.proofs.get(interaction.uid);
      if (!proof) return res.redirect(303, here(interaction.uid)); // sign in first
      const org = proof.orgs.find((o) => o.id === body.org);
      if (!org) throw new PageError(403, "not_proven", "You have not proven that you may act for that organisation. Start connecting again from the app.");
      const outcome = await grantConsent({ ...deps, interaction, org, proof, capText: typeof body.cap === "string" ? body.cap : "", paid: body.paid === "1" });
      if ("problem" in outcome) return show(req, res, 400, outcome.problem);
      await deps.proofs.drop(interaction.uid);
      deps.logger.info("an app was connected", { connection: outcome.connection.id, org: org.id, client: outcome.connection.clientName });
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: org.id, remember: false }, consent: { grantId: outcome.connection.grantId } },
        { mergeWithLastSubmission: false },
      );
    }),
  );

  router.post(
    "/oauth/interaction/:uid/cancel",
    form,
    page(async (req, res) => {
      const { interaction } = await posted(req, res);
      await deps.proofs.drop(interaction.uid);
      await provider.interactionFinished(
        req,
        res,
        { error: "access_denied", error_description: "the person did not allow the connection" },
        { mergeWithLastSubmission: false },
      );
    }),
  );
  return router;
}
