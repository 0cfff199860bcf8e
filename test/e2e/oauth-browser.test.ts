/// <reference lib="dom" />
/**
 * The MCP SDK's own OAuth client (StreamableHTTPClientTransport with an
 * authProvider) against the built `ecn-mcp http`, the person's part played
 * in headless Chromium: discovery from the 401, registration (dynamic, or a
 * client ID metadata document), sign-in and consent pages, token, a paid
 * call charged to the right organisation and connection, refresh,
 * revocation, then 401. Screenshots land in test-results/.
 */
import { mkdirSync } from "node:fs";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { CHROMIUM } from "../helpers/chromium.js";
import { startHttpStack, type HttpStack } from "../helpers/http-stack.js";
import { allow, fitsWidth, httpsDocuments, openBrowser, SHOTS, signInWithKey } from "../helpers/oauth-browser.js";
import { callTool } from "../helpers/oauth-browserless.js";
import { callbackServer, TestOAuthProvider } from "../helpers/oauth-sdk.js";
import { PROFILE_ARGS, rows } from "../helpers/stack.js";
import { assertInvariants, sqlExec } from "../helpers/store.js";

/** An MCP client for the app: connects through the SDK's OAuth support (rejects with UnauthorizedError while it needs a person). */
async function appClient(stack: HttpStack, provider: TestOAuthProvider): Promise<Client> {
  const client = new Client({ name: "connector-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${stack.url}/mcp`), { authProvider: provider }));
  return client;
}

/** The code the person's browser brought back, handed to the SDK; then the app connects for real. */
async function finish(stack: HttpStack, provider: TestOAuthProvider, returned: URL): Promise<Client> {
  const code = returned.searchParams.get("code");
  expect(code, returned.href).toBeTruthy();
  await new StreamableHTTPClientTransport(new URL(`${stack.url}/mcp`), { authProvider: provider }).finishAuth(code!);
  return appClient(stack, provider);
}

const revoke = (stack: HttpStack, token: string, clientId: string) =>
  fetch(`${stack.url}/oauth/revoke`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token, client_id: clientId }).toString(),
  });

describe.skipIf(!CHROMIUM)("connecting an app with the MCP SDK's OAuth client, a person in Chromium", () => {
  it("with dynamic client registration: consent with a cap, a paid call charged to the connection, refresh, revocation, then 401", async () => {
    mkdirSync(SHOTS, { recursive: true });
    const stack = await startHttpStack({ orgs: { acme: "100", beta: "100" } });
    const callback = await callbackServer();
    const provider = new TestOAuthProvider(callback.url, "Claude (test)");

    // No token: the 401 names the metadata, the SDK discovers, registers and asks for a browser.
    await expect(appClient(stack, provider)).rejects.toBeInstanceOf(UnauthorizedError);
    const authorization = await provider.nextAuthorization();
    expect(provider.client?.client_id).toMatch(/\S/);
    expect(authorization.searchParams.get("resource")).toBe(`${stack.url}/mcp`);
    expect(authorization.searchParams.get("code_challenge_method")).toBe("S256");

    const { page, foreign, errors } = await openBrowser([stack.url, callback.url.replace(/\/callback$/, "")]);
    await page.goto(authorization.href);
    expect(await page.locator("[data-test=client-name]").textContent()).toBe("Claude (test)");
    expect(await page.locator("[data-test=returns-to]").textContent()).toBe(new URL(callback.url).host);
    await page.screenshot({ path: `${SHOTS}/connect-sign-in.png`, fullPage: true });
    await signInWithKey(page, stack.keys.acme!);
    expect(await page.locator("[data-test=org-name]").textContent()).toBe("acme");
    expect(await page.locator("[data-test=cap]").inputValue()).toBe("100");
    await page.screenshot({ path: `${SHOTS}/connect-consent.png`, fullPage: true });
    const returned = callback.next();
    await allow(page, "7");
    const client = await finish(stack, provider, await returned);
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);

    const [connection] = await stack.ledger.listConnections(null, 0);
    expect(connection).toMatchObject({ orgId: stack.orgIds.acme, clientName: "Claude (test)", dayCapMicroCredits: 7_000_000n, scope: "tools:free tools:paid" });
    const paid = (await client.callTool({ name: "profile_draft", arguments: PROFILE_ARGS })) as CallToolResult;
    expect(paid.isError, JSON.stringify(paid.content)).toBeFalsy();
    const metering = (paid.structuredContent as { metering: { tool_call_id: string; credits_charged: number } }).metering;
    expect((await rows(stack, `SELECT org_id, connection_id FROM tool_calls WHERE id = '${metering.tool_call_id}'`))[0]).toEqual({
      org_id: stack.orgIds.acme,
      connection_id: connection!.id,
    });
    expect((await stack.ledger.getWallet(stack.orgIds.acme!)).balanceMicroCredits).toBe(100_000_000n - BigInt(Math.round(metering.credits_charged * 1e6)));
    expect((await stack.ledger.getWallet(stack.orgIds.beta!)).balanceMicroCredits).toBe(100_000_000n);

    // Refresh: once the access token's 15 minutes are over (its expiry moved to the past), the SDK's next request gets a 401,
    // refreshes (the refresh token rotates) and goes on.
    const before = provider.saved!;
    await sqlExec(stack.ledger, "UPDATE oauth_records SET expires_at = 1 WHERE model = 'AccessToken'");
    expect((await callTool(stack.url, before.access_token, "get_wallet_balance")).status).toBe(401);
    expect((await client.callTool({ name: "get_wallet_balance", arguments: {} })).isError).toBeFalsy();
    expect(provider.saved!.refresh_token).toBeTruthy();
    expect(provider.saved!.refresh_token).not.toBe(before.refresh_token);
    expect(provider.saved!.access_token).not.toBe(before.access_token);

    // Revocation: the refresh token revoked, the grant and connection end; the app's next request is a 401 and asks for a person again.
    const last = provider.saved!;
    expect((await revoke(stack, last.refresh_token!, provider.client!.client_id)).status).toBe(200);
    expect((await callTool(stack.url, last.access_token, "get_wallet_balance")).status).toBe(401);
    await expect(client.callTool({ name: "get_wallet_balance", arguments: {} })).rejects.toBeInstanceOf(UnauthorizedError);
    expect((await provider.nextAuthorization()).searchParams.get("client_id")).toBe(provider.client!.client_id);
    expect((await stack.ledger.getConnection(connection!.id))?.revokedAt).not.toBeNull();
    await assertInvariants(stack.ledger);
  }, 180_000);

  it("with a client ID metadata document and the browser's dashboard session, on a phone; revoked from the Connections page", async () => {
    const documents = await httpsDocuments((origin) => ({
      "/app/client.json": {
        client_id: `${origin}/app/client.json`,
        client_name: "Metadata App",
        client_uri: origin,
        redirect_uris: [callbackUrl],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "none",
      },
    }));
    const callback = await callbackServer();
    const callbackUrl = callback.url;
    // The metadata document is on loopback with a test certificate: the test-only switch and the test CA let the server fetch it.
    const stack = await startHttpStack({
      orgs: { acme: "100" },
      env: { ECN_OAUTH_METADATA_FETCH_ANY_ADDRESS: "1", NODE_EXTRA_CA_CERTS: documents.caFile },
    });
    const metadataUrl = `${documents.origin}/app/client.json`;
    const provider = new TestOAuthProvider(callback.url, "Metadata App", metadataUrl);
    const phone = await openBrowser([stack.url, callback.url.replace(/\/callback$/, "")], { width: 390, height: 844 });
    const { page } = phone;
    // Signed in to the dashboard in this browser already.
    await page.goto(`${stack.url}/dashboard/`);
    await page.locator("[data-test=key]").fill(stack.keys.acme!);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("[data-test=balance]").waitFor();

    await expect(appClient(stack, provider)).rejects.toBeInstanceOf(UnauthorizedError);
    const authorization = await provider.nextAuthorization();
    expect(provider.client?.client_id).toBe(metadataUrl); // no registration: the URL is the client's id
    await page.goto(authorization.href);
    expect(await page.locator("[data-test=client-name]").textContent()).toBe("Metadata App");
    expect(await fitsWidth(page)).toBe(true);
    await page.locator("[data-test=dashboard-submit]").click();
    await page.locator("[data-test=consent-form]").waitFor();
    expect(await fitsWidth(page)).toBe(true);
    await page.screenshot({ path: `${SHOTS}/connect-consent-phone.png`, fullPage: true });
    const returned = callback.next();
    await allow(page);
    const client = await finish(stack, provider, await returned);
    const paid = (await client.callTool({ name: "profile_draft", arguments: PROFILE_ARGS })) as CallToolResult;
    expect(paid.isError, JSON.stringify(paid.content)).toBeFalsy();
    const [connection] = await stack.ledger.listConnections(null, 0);
    expect(connection).toMatchObject({ clientId: metadataUrl, clientName: "Metadata App", signedInVia: "dashboard", orgId: stack.orgIds.acme });
    expect(await rows(stack, "SELECT model FROM oauth_records WHERE model = 'Client'")).toEqual([]);

    // The Connections page lists it with today's spend; Revoke ends it at the app's next request.
    await page.goto(`${stack.url}/dashboard/#/org/${stack.orgIds.acme}/connections`);
    await page.locator("[data-test=connections] [data-test=client]").first().waitFor();
    expect(await page.locator("[data-test=connections] [data-test=client]").allTextContents()).toEqual(["Metadata App"]);
    expect(await page.locator("[data-test=today]").first().textContent()).not.toMatch(/^0 cr/);
    page.once("dialog", (dialog) => void dialog.accept());
    await page.locator("[data-test=revoke]").click();
    await page.locator("[data-test=revoked]").waitFor();
    await page.screenshot({ path: `${SHOTS}/dashboard-connections-phone.png`, fullPage: true });
    await expect(client.callTool({ name: "get_wallet_balance", arguments: {} })).rejects.toBeInstanceOf(UnauthorizedError);
    expect(phone.foreign).toEqual([]);
    expect(phone.errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  }, 180_000);
});
