/**
 * Connections end to end on the built `ecn-mcp http` (both stores): an app
 * registers, a person signs in with the organisation's API key and allows it
 * with a daily cap, the app's token runs a paid tool charged to that
 * organisation and recorded on that connection; refresh tokens rotate, a
 * reused one kills the grant; revocation (RFC 7009, the CLI) takes effect at
 * the next request. The cap holds with 32 calls in flight, and limits no
 * other connection or key of the organisation. The HTTP rate limit counts a
 * connection by its id, as it counts a key.
 */
import { describe, expect, it } from "vitest";
import { startHttpStack, type HttpStack } from "../helpers/http-stack.js";
import { callTool, connect, tokenRequest } from "../helpers/oauth-browserless.js";
import { PROFILE_ARGS, rows } from "../helpers/stack.js";
import { assertInvariants, STORE } from "../helpers/store.js";

const orgs = { acme: "100", beta: "100" };
const spendOf = async (stack: HttpStack, org: string) => (await stack.ledger.getWallet(stack.orgIds[org]!)).balanceMicroCredits;

describe(`connections over OAuth (${STORE})`, () => {
  it("charges a connection's paid call to its organisation and records the connection; refresh rotates; a reused refresh token kills the grant", async () => {
    const stack = await startHttpStack({ orgs });
    const base = stack.url;
    const { client, tokens } = await connect(base, { apiKey: stack.keys.acme!, cap: "20", clientName: "Claude" });
    expect(tokens).toMatchObject({ token_type: "Bearer", scope: "tools:free tools:paid", expires_in: 900 });

    const [connection] = await stack.ledger.listConnections(stack.orgIds.acme!, 0);
    expect(connection).toMatchObject({ clientName: "Claude", clientId: client.client_id, scope: "tools:free tools:paid", dayCapMicroCredits: 20_000_000n });
    expect(connection!.signedInVia).toBe("api_key");

    const paid = await callTool(base, tokens.access_token, "profile_draft", PROFILE_ARGS);
    expect(paid.isError, paid.text).toBe(false);
    const metering = (JSON.parse(paid.text) as { metering: { tool_call_id: string; credits_charged: number } }).metering;
    expect(metering.credits_charged).toBeGreaterThan(0);
    expect(await spendOf(stack, "beta")).toBe(100_000_000n);
    expect(await spendOf(stack, "acme")).toBe(100_000_000n - BigInt(Math.round(metering.credits_charged * 1e6)));
    const [call] = await rows(stack, `SELECT org_id, connection_id, api_key_id FROM tool_calls WHERE id = '${metering.tool_call_id}'`);
    expect(call).toEqual({ org_id: stack.orgIds.acme, connection_id: connection!.id, api_key_id: null });
    const events = await rows(stack, `SELECT connection_id FROM usage_events WHERE tool_call_id = '${metering.tool_call_id}'`);
    expect(events.map((e) => e.connection_id)).toEqual([connection!.id]);
    // The same organisation's API key still works everywhere, and its calls say so.
    const byKey = await callTool(base, stack.keys.acme!, "profile_draft", PROFILE_ARGS);
    expect(byKey.isError, byKey.text).toBe(false);
    const keyCall = (JSON.parse(byKey.text) as { metering: { tool_call_id: string } }).metering.tool_call_id;
    expect((await rows(stack, `SELECT connection_id, api_key_id FROM tool_calls WHERE id = '${keyCall}'`))[0]).toMatchObject({ connection_id: null });
    expect((await stack.get("/api/v1/credits/wallet/", stack.keys.acme)).status).toBe(200);
    // An access token is for /mcp only: the REST API takes API keys.
    expect((await stack.get("/api/v1/credits/wallet/", tokens.access_token)).status).toBe(401);

    // Refresh: a new pair each time; the spent refresh token is kept to recognise its reuse.
    const refreshed = await tokenRequest(base, { grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: client.client_id });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(tokens.refresh_token);
    expect((await callTool(base, refreshed.body.access_token!, "get_wallet_balance")).isError).toBe(false);
    const reused = await tokenRequest(base, { grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: client.client_id });
    expect(reused).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    // The reuse revoked the whole grant: the newest tokens die with it, and so does the connection.
    expect((await tokenRequest(base, { grant_type: "refresh_token", refresh_token: refreshed.body.refresh_token!, client_id: client.client_id })).status).toBe(
      400,
    );
    const dead = await callTool(base, refreshed.body.access_token!, "get_wallet_balance");
    expect(dead.status).toBe(401);
    expect(dead.headers.get("www-authenticate")).toMatch(
      /^Bearer resource_metadata="[^"]+\/\.well-known\/oauth-protected-resource\/mcp", error="invalid_token"/,
    );
    expect((await stack.ledger.getConnection(connection!.id))?.revokedAt).not.toBeNull();
    await assertInvariants(stack.ledger);
  }, 120_000);

  it("counts a connection's requests by its own id, like a key of its own, and the organisation's with its keys", async () => {
    const stack = await startHttpStack({ orgs, env: { ECN_HTTP_RATE_LIMIT: "3", ECN_HTTP_ORG_RATE_LIMIT: "6" } });
    const first = await connect(stack.url, { apiKey: stack.keys.acme!, cap: "20" });
    const second = await connect(stack.url, { apiKey: stack.keys.acme!, cap: "20" });
    const statuses = async (bearer: string, count: number) => {
      const out: number[] = [];
      for (let i = 0; i < count; i++) out.push((await callTool(stack.url, bearer, "get_wallet_balance")).status);
      return out;
    };
    expect(await statuses(first.tokens.access_token, 3)).toEqual([200, 200, 200]);
    const over = await callTool(stack.url, first.tokens.access_token, "get_wallet_balance");
    expect(over.status).toBe(429);
    expect(over.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(over.text).toMatch(/rate_limited: more than 3 requests a minute with this connection; retry after \d+ s/);
    // Another connection and the key that signed both in have their own 3; the organisation has 6 in all (the refused one counted).
    expect(await statuses(second.tokens.access_token, 1)).toEqual([200]);
    expect((await stack.get("/api/v1/credits/wallet/", stack.keys.acme)).status).toBe(200);
    const overOrg = await callTool(stack.url, second.tokens.access_token, "get_wallet_balance");
    expect(overOrg.status).toBe(429);
    expect(overOrg.text).toMatch(/more than 6 requests a minute for this organisation \(all its API keys and connections together\)/);
    // Another organisation is not limited by it.
    expect((await stack.get("/api/v1/credits/wallet/", stack.keys.beta)).status).toBe(200);
  }, 120_000);

  it("revokes at the next request: through the revocation endpoint (RFC 7009), with `ecn-mcp connections revoke` and from the dashboard", async () => {
    const stack = await startHttpStack({ orgs });
    const base = stack.url;
    const first = await connect(base, { apiKey: stack.keys.acme!, clientName: "ChatGPT" });
    const revoke = await fetch(`${base}/oauth/revoke`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: first.tokens.refresh_token, client_id: first.client.client_id }).toString(),
    });
    expect(revoke.status).toBe(200);
    expect((await callTool(base, first.tokens.access_token, "get_wallet_balance")).status).toBe(401);
    expect((await stack.ledger.listConnections(stack.orgIds.acme!, 0))[0]!.revokedAt).not.toBeNull();

    const second = await connect(base, { apiKey: stack.keys.beta!, clientName: "Cursor", cap: "2.5" });
    expect((await callTool(base, second.tokens.access_token, "get_wallet_balance")).isError).toBe(false);
    const listed = JSON.parse((await stack.cli("connections", "list", "--json")).stdout) as Record<string, unknown>[];
    const row = listed.find((c) => c.client_name === "Cursor")!;
    expect(row).toMatchObject({ org_name: "beta", scope: "tools:free tools:paid", day_cap_credits: 2.5, spent_today_credits: 0, revoked_at: null });
    expect(row.last_used_at).toEqual(expect.any(String));
    expect(listed.find((c) => c.client_name === "ChatGPT")).toMatchObject({ org_name: "acme", revoked_at: expect.any(String) as unknown });
    expect(JSON.parse((await stack.cli("connections", "list", "--org", "acme", "--json")).stdout)).toHaveLength(1);
    await stack.cli("connections", "revoke", String(row.id));
    const after = await callTool(base, second.tokens.access_token, "get_wallet_balance");
    expect(after.status).toBe(401);
    // /mcp answers its errors as JSON-RPC bodies, our code first in the message.
    expect(JSON.parse(after.text)).toMatchObject({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32000, message: expect.stringMatching(/^unauthorized: /) as unknown },
    });
    const again = await stack.cli("connections", "revoke", String(row.id)).catch((error: { stderr: string; code: number }) => error);
    expect(again).toMatchObject({ code: 1, stderr: expect.stringMatching(/no live connection/) as unknown });
    // Its refresh token went with it.
    const refresh = await tokenRequest(base, { grant_type: "refresh_token", refresh_token: second.tokens.refresh_token, client_id: second.client.client_id });
    expect(refresh.body.error).toBe("invalid_grant");

    // The dashboard's JSON: an organisation sees its own connections only, and revokes one there.
    const third = await connect(base, { apiKey: stack.keys.acme!, clientName: "VS Code" });
    const page = (await (await stack.get(`/api/v1/dashboard/orgs/acme/connections`, stack.keys.acme)).json()) as {
      connections: { id: string; client_name: string; scope: string; day_cap: { credits: number }; revoked_at: string | null }[];
    };
    expect(page.connections.map((c) => c.client_name)).toEqual(["VS Code", "ChatGPT"]);
    expect(page.connections[0]).toMatchObject({ scope: "tools:free tools:paid", day_cap: { credits: 100 }, revoked_at: null });
    expect((await stack.get(`/api/v1/dashboard/orgs/acme/connections`, stack.keys.beta)).status).toBe(404);
    const del = (key: string) =>
      fetch(`${base}/api/v1/dashboard/connections/${page.connections[0]!.id}`, { method: "DELETE", headers: { authorization: `Bearer ${key}` } });
    expect((await del(stack.keys.beta!)).status).toBe(404);
    expect(await (await del(stack.keys.acme!)).json()).toEqual({ id: page.connections[0]!.id, revoked: true });
    expect((await callTool(base, third.tokens.access_token, "get_wallet_balance")).status).toBe(401);
  }, 120_000);

  it("holds a connection to its daily cap with 32 calls in flight; the organisation's other connection and key are not limited", async () => {
    const stack = await startHttpStack({ orgs: { acme: "100" } });
    const base = stack.url;
    // Each call holds the 1-credit floor while the provider takes its time, and is charged exactly 1 credit.
    stack.providers.sim.defaults.latencyMs = 1_000;
    stack.providers.sim.defaults.costUsd = 0.008;
    const capped = await connect(base, { apiKey: stack.keys.acme!, cap: "5", clientName: "Capped" });
    const other = await connect(base, { apiKey: stack.keys.acme!, cap: "50", clientName: "Other" });

    const answers = await Promise.all(Array.from({ length: 32 }, () => callTool(base, capped.tokens.access_token, "profile_draft", PROFILE_ARGS)));
    const ok = answers.filter((a) => !a.isError);
    const refused = answers.filter((a) => a.isError);
    expect(ok).toHaveLength(5);
    expect(refused).toHaveLength(27);
    for (const answer of refused) expect(answer.text).toMatch(/^budget_exceeded: this connection's daily cap \(5 credits per day/);
    expect(stack.providers.sim.paidRequests()).toHaveLength(5);

    const [cappedView] = (await stack.ledger.listConnections(stack.orgIds.acme!, Date.now() - (Date.now() % 86_400_000))).filter(
      (c) => c.clientName === "Capped",
    );
    expect(cappedView).toMatchObject({ todayChargedMicroCredits: 5_000_000n, totalChargedMicroCredits: 5_000_000n, calls: 5 });
    expect(await spendOf(stack, "acme")).toBe(95_000_000n);

    // Not limited by that cap: the organisation's other connection and its API key.
    for (const bearer of [other.tokens.access_token, stack.keys.acme!]) {
      const answer = await callTool(base, bearer, "profile_draft", PROFILE_ARGS);
      expect(answer.isError, answer.text).toBe(false);
    }
    expect(await spendOf(stack, "acme")).toBe(93_000_000n);
    await assertInvariants(stack.ledger);
  }, 120_000);
});
