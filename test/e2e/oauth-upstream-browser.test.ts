/// <reference lib="dom" />
/**
 * In Chromium: signing in through the organisation's own OpenID provider (a
 * second, local oidc-provider started by the test as ECN_OIDC_ISSUER): a
 * member connects an app for their organisation, a non-member is refused,
 * and a token that provider minted for our /mcp is worth nothing here. And
 * the consent page against a hostile site: a form posted to it cross-site is
 * refused, and it will not render in a frame.
 */
import { generateKeyPairSync } from "node:crypto";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";
import { afterEach, describe, expect, it } from "vitest";
import { CHROMIUM } from "../helpers/chromium.js";
import { startHttpStack } from "../helpers/http-stack.js";
import { allow, openBrowser, SHOTS, signInWithKey } from "../helpers/oauth-browser.js";
import { callTool, codeRequestUrl, pkcePair, register, tokenRequest } from "../helpers/oauth-browserless.js";
import { callbackServer } from "../helpers/oauth-sdk.js";

const servers: Server[] = [];
afterEach(async () => {
  while (servers.length) {
    const server = servers.pop()!;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A loopback server whose handler is set later (its URL must be known before what it serves can be built). */
async function laterServer(host = "127.0.0.1"): Promise<{ url: string; serve: (handler: RequestListener) => void }> {
  let handler: RequestListener = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return { url: `http://${host}:${(server.address() as AddressInfo).port}`, serve: (h) => (handler = h) };
}

const UPSTREAM_SECRET = "upstream-client-secret-for-the-test";

/** The organisation's identity provider: any login is an account whose email is the login (dev interactions). */
function identityProvider(issuer: string, ecnBase: string): Provider {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return new Provider(issuer, {
    clients: [
      { client_id: "ecn", client_secret: UPSTREAM_SECRET, redirect_uris: [`${ecnBase}/oauth/upstream/callback`], response_types: ["code"] },
      { client_id: "other-api", client_secret: "other-secret-for-the-test", grant_types: ["client_credentials"], redirect_uris: [], response_types: [] },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: "jwk" }), kid: "idp", use: "sig", alg: "ES256" }] },
    enabledJWA: { idTokenSigningAlgValues: ["ES256"] },
    clientDefaults: { id_token_signed_response_alg: "ES256" },
    claims: { email: ["email", "email_verified"] },
    scopes: ["openid", "email"],
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id, email: id, email_verified: true }) }),
    features: {
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // It will mint a token naming any audience: ours must still refuse it.
        getResourceServerInfo: () => ({ scope: "tools:free tools:paid", accessTokenFormat: "jwt", jwt: { sign: { alg: "ES256" } } }),
      },
    },
  });
}

describe.skipIf(!CHROMIUM)("sign-in through the organisation's identity provider, in Chromium", () => {
  it("connects a member for their organisation, refuses a non-member, and refuses that provider's tokens at /mcp", async () => {
    const idp = await laterServer();
    const stack = await startHttpStack({
      orgs: { acme: "100" },
      env: { ECN_OIDC_ISSUER: idp.url, ECN_OIDC_CLIENT_ID: "ecn", ECN_OIDC_CLIENT_SECRET: UPSTREAM_SECRET },
    });
    const serveIdp = identityProvider(idp.url, stack.url).callback();
    idp.serve((req, res) => void serveIdp(req, res));
    await stack.cli("member", "add", "--org", "acme", "--email", "Dana@Acme.example");
    expect(JSON.parse((await stack.cli("member", "list", "--json")).stdout)).toMatchObject([{ org_name: "acme", email: "dana@acme.example" }]);

    const callback = await callbackServer();
    const client = (await register(stack.url, { client_name: "Claude", redirect_uris: [callback.url] })).body;
    const start = async (login: string) => {
      const { page } = await openBrowser([stack.url, idp.url, callback.url.replace(/\/callback$/, "")]);
      const { verifier, challenge } = pkcePair();
      await page.goto(codeRequestUrl(stack.url, { clientId: client.client_id, redirectUri: callback.url, challenge }, { resource: `${stack.url}/mcp` }));
      await page.locator("[data-test=upstream]").click();
      await page.locator("input[name=login]").fill(login);
      await page.locator("input[name=password]").fill("any password");
      await page.getByRole("button", { name: "Sign-in" }).click();
      await page.getByRole("button", { name: "Continue" }).click();
      return { page, verifier };
    };

    const member = await start("dana@acme.example");
    await member.page.locator("[data-test=consent-form]").waitFor();
    expect(await member.page.locator("[data-test=org-name]").textContent()).toBe("acme");
    expect(await member.page.locator("text=Proven with dana@acme.example").count()).toBe(1);
    await member.page.screenshot({ path: `${SHOTS}/connect-consent-upstream.png`, fullPage: true });
    const returned = callback.next();
    await allow(member.page);
    const code = (await returned).searchParams.get("code")!;
    const tokens = await tokenRequest(stack.url, {
      grant_type: "authorization_code",
      code,
      redirect_uri: callback.url,
      client_id: client.client_id,
      code_verifier: member.verifier,
    });
    const wallet = await callTool(stack.url, tokens.body.access_token!, "get_wallet_balance");
    expect(JSON.parse(wallet.text)).toMatchObject({ org_id: stack.orgIds.acme });
    expect((await stack.ledger.listConnections(null, 0))[0]).toMatchObject({ signedInVia: "oidc", signedInAs: "dana@acme.example" });

    // Someone the provider knows but no organisation here does: back on the sign-in page, refused, nothing connected.
    const stranger = await start("eve@elsewhere.example");
    await stranger.page.locator("[data-test=error]").waitFor();
    expect(await stranger.page.locator("[data-test=error]").textContent()).toMatch(/not a member of any organisation/);
    expect(await stranger.page.locator("[data-test=key-form]").count()).toBe(1);
    expect(await stack.ledger.listConnections(null, 0)).toHaveLength(1);

    // A token the provider minted for our /mcp (its audience) is still not ours.
    const foreign = await fetch(`${idp.url}/token`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from("other-api:other-secret-for-the-test").toString("base64")}`,
      },
      body: new URLSearchParams({ grant_type: "client_credentials", resource: `${stack.url}/mcp`, scope: "tools:free tools:paid" }).toString(),
    });
    const minted = ((await foreign.json()) as { access_token: string }).access_token;
    expect(JSON.parse(Buffer.from(minted.split(".")[1]!, "base64url").toString())).toMatchObject({ aud: `${stack.url}/mcp` });
    const refused = await callTool(stack.url, minted, "get_wallet_balance");
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);

    await stack.cli("member", "remove", "--org", "acme", "--email", "dana@acme.example");
    expect(JSON.parse((await stack.cli("member", "list", "--json")).stdout)).toEqual([]);
  }, 180_000);

  it("refuses a consent form posted from another site, and the page in another site's frame", async () => {
    const stack = await startHttpStack({ orgs: { acme: "100" } });
    const callback = await callbackServer();
    const client = (await register(stack.url, { redirect_uris: [callback.url] })).body;
    // The hostile site: on localhost, another site than the server's 127.0.0.1 (cookies are per site, ports aside).
    const hostile = await laterServer("localhost");
    hostile.serve((req, res) => {
      const target = new URL(req.url ?? "/", hostile.url).searchParams.get("target") ?? "";
      const page = req.url?.startsWith("/frame")
        ? `<iframe src="${target}" width="600" height="400"></iframe>`
        : `<form method="post" action="${target}"><input name="org" value="x"><input name="cap" value="100"><input name="paid" value="1"></form>` +
          "<script>document.forms[0].submit()</script>";
      res.writeHead(200, { "content-type": "text/html" }).end(`<!doctype html><title>hostile</title>${page}`);
    });

    const { context, page } = await openBrowser([stack.url, hostile.url]);
    const { challenge } = pkcePair();
    await page.goto(codeRequestUrl(stack.url, { clientId: client.client_id, redirectUri: callback.url, challenge }));
    await signInWithKey(page, stack.keys.acme!);
    const consentUrl = page.url();

    // The person, still on the consent page, visits the hostile site, which posts the consent form at once.
    const attacker = await context.newPage();
    const posted = attacker.waitForResponse((r) => r.url() === `${consentUrl}/consent`);
    await attacker.goto(`${hostile.url}/post?target=${encodeURIComponent(`${consentUrl}/consent`)}`);
    expect((await posted).status()).toBe(403);
    expect(await stack.ledger.listConnections(null, 0)).toEqual([]);

    // Framed by the hostile site: the browser refuses to show it.
    const framing = await context.newPage();
    const refusals: string[] = [];
    framing.on("console", (message) => refusals.push(message.text()));
    await framing.goto(`${hostile.url}/frame?target=${encodeURIComponent(consentUrl)}`);
    const frame = framing.frames().find((f) => f !== framing.mainFrame())!;
    await expect.poll(() => refusals.join("\n")).toMatch(/frame-ancestors|X-Frame-Options/);
    expect(await frame.locator("[data-test=consent-form]").count()).toBe(0);

    // The person's own page still works.
    const returned = callback.next();
    await allow(page);
    expect((await returned).searchParams.get("code")).toBeTruthy();
    expect(await stack.ledger.listConnections(null, 0)).toHaveLength(1);
  }, 180_000);
});
