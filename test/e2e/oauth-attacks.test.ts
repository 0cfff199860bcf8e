/**
 * The authorization server against the attacks a connector meets (both
 * stores, the built server): PKCE missing or `plain`, a code replayed, a
 * redirect URI changed or extended, a token for another resource, a consent
 * form posted from another site or without its token, a tenant allowing an
 * app for an organisation it did not prove, the pages framed, a connection
 * calling tools beyond its scope. And no token, code or key ever reaches the
 * logs or the ledger in the clear.
 */
import { describe, expect, it } from "vitest";
import { startHttpStack } from "../helpers/http-stack.js";
import {
  codeRequestUrl,
  authorizeWithKey,
  browse,
  callTool,
  connect,
  CookieJar,
  pkcePair,
  register,
  submit,
  tokenRequest,
} from "../helpers/oauth-browserless.js";
import { PROFILE_ARGS } from "../helpers/stack.js";
import { STORE, storedText } from "../helpers/store.js";

const REDIRECT = "http://127.0.0.1:9/callback";

describe(`the authorization server under attack (${STORE})`, () => {
  it("refuses missing or plain PKCE, a replayed code, a changed or extended redirect URI, and a token for another resource", async () => {
    const stack = await startHttpStack({ orgs: { acme: "100" }, env: { ECN_LOG_LEVEL: "debug" } });
    const base = stack.url;
    const secrets: string[] = [stack.keys.acme!];
    const client = (await register(base, { redirect_uris: [REDIRECT] })).body;
    const { challenge } = pkcePair();
    const ask = (params: Record<string, string | undefined>) =>
      browse(
        base,
        new CookieJar(),
        codeRequestUrl(base, { clientId: client.client_id, redirectUri: REDIRECT, challenge }, { scope: "tools:free", state: "s", ...params }),
      );

    // PKCE: missing and plain are refused before any page; the error goes back to the (registered) redirect URI.
    for (const pkce of [{ code_challenge: undefined, code_challenge_method: undefined }, { code_challenge_method: "plain" }]) {
      const refused = await ask(pkce);
      expect(refused.leftTo?.searchParams.get("error"), JSON.stringify(pkce)).toBe("invalid_request");
      expect(refused.leftTo?.searchParams.get("code")).toBeNull();
    }
    // Redirect URIs match exactly: another path, a longer one, another port or host is never redirected to.
    for (const redirect of [`${REDIRECT}/more`, `${REDIRECT}x`, "http://127.0.0.1:10/callback", "https://evil.example/callback"]) {
      const refused = await ask({ redirect_uri: redirect });
      expect(refused.leftTo, redirect).toBeNull();
      expect(refused.status, redirect).toBe(400);
      expect(refused.html).toMatch(/redirect_uri/);
    }
    // A resource other than this server's /mcp: refused at the authorization endpoint.
    const elsewhere = await ask({ resource: "https://other.example/mcp" });
    expect(elsewhere.leftTo?.searchParams.get("error")).toBe("invalid_target");
    // Registration accepts https, http on loopback and an app's own scheme only.
    for (const uri of ["http://evil.example/callback", "javascript:alert(1)"]) {
      expect((await register(base, { redirect_uris: [uri] })).body.error, uri).toBe("invalid_redirect_uri");
    }

    // Codes exchanged for another resource, with another redirect URI or without their verifier give nothing (and are spent).
    const exchange = (code: { code: string; verifier: string }, extra: Record<string, string> = {}) =>
      tokenRequest(base, {
        grant_type: "authorization_code",
        code: code.code,
        redirect_uri: REDIRECT,
        client_id: client.client_id,
        code_verifier: code.verifier,
        ...extra,
      });
    const authorize = async () => {
      const authorized = await authorizeWithKey(base, { clientId: client.client_id, redirectUri: REDIRECT, apiKey: stack.keys.acme!, scope: "tools:free" });
      secrets.push(authorized.code);
      return authorized;
    };
    expect((await exchange(await authorize(), { resource: "https://other.example/mcp" })).body.error).toBe("invalid_target");
    expect((await exchange(await authorize(), { redirect_uri: `${REDIRECT}/more` })).body.error).toBe("invalid_grant");
    expect((await exchange(await authorize(), { code_verifier: pkcePair().verifier })).body.error).toBe("invalid_grant");

    const good = await authorize();
    const first = await exchange(good);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    secrets.push(first.body.access_token!, first.body.refresh_token!);
    expect((await callTool(base, first.body.access_token!, "get_wallet_balance")).isError).toBe(false);
    // Replayed: refused, and the grant the code made is revoked with every token it gave.
    expect((await exchange(good)).body.error).toBe("invalid_grant");
    expect((await callTool(base, first.body.access_token!, "get_wallet_balance")).status).toBe(401);
    const [newest] = await stack.ledger.listConnections(null, 0);
    expect(newest!.revokedAt).not.toBeNull();

    // Nothing secret in the logs (at debug level), nor in the ledger: tokens and codes are stored as hashes only.
    const logs = stack.stderr() + stack.stdout();
    const stored = await storedText(stack.ledger, stack.providers.dbPath);
    for (const secret of secrets) {
      expect(logs.includes(secret), "a secret in the logs").toBe(false);
      expect(stored.includes(secret), "a secret in the ledger").toBe(false);
    }
  }, 120_000);

  it("keeps consent to the person who proved the organisation, on its own page, and a connection to the scope it was given", async () => {
    const stack = await startHttpStack({ orgs: { acme: "100", beta: "100" } });
    const base = stack.url;
    const client = (await register(base, { client_name: "Sneaky <b>App</b>", redirect_uris: [REDIRECT] })).body;
    const jar = new CookieJar();
    const { challenge } = pkcePair();
    const signIn = await browse(base, jar, codeRequestUrl(base, { clientId: client.client_id, redirectUri: REDIRECT, challenge }, { resource: `${base}/mcp` }));
    // The page may not be framed, loads nothing from elsewhere, and shows the client's name as text.
    for (const page of [signIn]) {
      expect(page.headers.get("x-frame-options")).toBe("DENY");
      expect(page.headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
      expect(page.headers.get("content-security-policy")).toMatch(/default-src 'none'/);
      expect(page.html).toContain("Sneaky &lt;b&gt;App&lt;/b&gt;");
    }
    // Consent before any sign-in: back to the sign-in page.
    const early = await submit(base, jar, signIn, "consent", { org: stack.orgIds.acme!, cap: "1", paid: "1" });
    expect(early.html).toContain('data-test="key-form"');
    // From another site: refused by the Origin check; without the form's token: refused; with a wrong key: stays on sign-in.
    const uid = /\/oauth\/interaction\/([^/?#]+)/.exec(signIn.url)![1]!;
    const crossSite = await fetch(`${base}/oauth/interaction/${uid}/key`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example", cookie: jar.header() },
      body: new URLSearchParams({ key: stack.keys.acme! }).toString(),
      redirect: "manual",
    });
    expect(crossSite.status).toBe(403);
    const noToken = await browse(base, jar, `${base}/oauth/interaction/${uid}/key`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: base },
      body: new URLSearchParams({ key: stack.keys.acme!, csrf: "forged" }).toString(),
    });
    expect(noToken.status).toBe(403);
    const noCookie = await browse(base, new CookieJar(), `${base}/oauth/interaction/${uid}/key`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: base },
      body: new URLSearchParams({ key: stack.keys.acme! }).toString(),
    });
    expect(noCookie.status).toBe(400);
    expect((await submit(base, jar, signIn, "key", { key: "ecn_sk_wrong" })).status).toBe(401);

    // Beta's key proves beta only: allowing the app for acme is refused, and nothing is connected.
    const consent = await submit(base, jar, signIn, "key", { key: stack.keys.beta! });
    expect(consent.html).toContain('data-test="consent-form"');
    expect(consent.headers.get("x-frame-options")).toBe("DENY");
    expect(consent.headers.get("content-security-policy")).toMatch(/form-action 'self' http:\/\/127\.0\.0\.1:9;/);
    const forged = await submit(base, jar, consent, "consent", { org: stack.orgIds.acme!, cap: "1", paid: "1" });
    expect(forged.status).toBe(403);
    expect(forged.leftTo).toBeNull();
    // A cap above the server's ceiling is refused on the page.
    expect((await submit(base, jar, consent, "consent", { org: stack.orgIds.beta!, cap: "100.5", paid: "1" })).status).toBe(400);
    expect(await stack.ledger.listConnections(null, 0)).toEqual([]);
    // Allowed for beta, free tools only (paid left unticked).
    const done = await submit(base, jar, consent, "consent", { org: stack.orgIds.beta!, cap: "3" });
    expect(done.leftTo?.searchParams.get("code")).toBeTruthy();
    const [connection] = await stack.ledger.listConnections(null, 0);
    expect(connection).toMatchObject({ orgId: stack.orgIds.beta, scope: "tools:free", dayCapMicroCredits: 3_000_000n });

    // A free-only connection: free tools yes; a paid tool is 403 insufficient_scope naming the scope to ask for.
    const free = await connect(base, { apiKey: stack.keys.acme!, paid: false });
    expect(free.tokens.scope).toBe("tools:free");
    expect((await callTool(base, free.tokens.access_token, "get_rate_card")).isError).toBe(false);
    const paid = await callTool(base, free.tokens.access_token, "profile_draft", PROFILE_ARGS);
    expect(paid.status).toBe(403);
    expect(paid.headers.get("www-authenticate")).toMatch(/^Bearer resource_metadata="[^"]+", error="insufficient_scope", .*scope="tools:free tools:paid"$/);
    expect(stack.providers.sim.paidRequests()).toHaveLength(0);
    // Its organisation's API key is not limited by any scope.
    expect((await callTool(base, stack.keys.acme!, "profile_draft", PROFILE_ARGS)).isError).toBe(false);
  }, 120_000);
});
