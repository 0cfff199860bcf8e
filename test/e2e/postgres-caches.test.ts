/**
 * Three `ecn-mcp http` instances on one PostgreSQL database, each serving
 * API keys, rate cards and model prices from its read cache: an operator's
 * change made with the CLI (a revoke, a floor, a model price) is what the
 * next request on every instance sees. The tests wait for the behaviour on
 * each instance; how long it took is logged (the target is under a second),
 * never asserted.
 */
import { describe, expect, it } from "vitest";
import { callToolOverHttp, spawnHttpServer, type HttpServerProcess } from "../helpers/http-stack.js";
import { cliRunner, PROFILE_ARGS, startProviders, type Providers } from "../helpers/stack.js";
import { openTestLedger, sqlRows } from "../helpers/store.js";
import { waitFor } from "../helpers/wait.js";

const INSTANCES = 3;

async function fleet(providers: Providers) {
  const cli = cliRunner(providers.env);
  await cli("org", "create", "acme");
  await cli("credits", "grant", "--org", "acme", "--credits", "100");
  const key = (JSON.parse((await cli("key", "create", "--org", "acme", "--json")).stdout) as { key: string }).key;
  const servers = await Promise.all(Array.from({ length: INSTANCES }, () => spawnHttpServer(providers.env)));
  // Every instance has the key, the rate card and the prices in its cache before anything changes.
  for (const server of servers) expect(await paidCall(server, key)).toEqual({ ok: true, code: "ok" });
  return { cli, key, servers };
}

const paidCall = (server: HttpServerProcess, key: string) => callToolOverHttp(server.url, key, "profile_draft", PROFILE_ARGS);

/** Waits until `seen` holds on every instance; logs how long each took after the change was committed. */
async function onEveryInstance(what: string, servers: HttpServerProcess[], changedAt: number, seen: (server: HttpServerProcess) => Promise<boolean>) {
  const took = await Promise.all(
    servers.map(async (server, i) => {
      await waitFor(
        () => seen(server),
        undefined,
        () => `instance ${i} never saw: ${what}`,
      );
      return Date.now() - changedAt;
    }),
  );
  console.error(`[read cache] ${what}: seen by all ${INSTANCES} instances within ${Math.max(...took)} ms of the CLI's commit (${took.join(", ")} ms)`);
}

describe(`${INSTANCES} HTTP instances on one PostgreSQL database, with read caches`, () => {
  it("all refuse a key the moment they hear it was revoked, and it spends nothing more", async () => {
    const providers = await startProviders();
    const { cli, key, servers } = await fleet(providers);
    for (const server of servers) expect(server.stderr()).toMatch(/read cache on/);
    const [record] = await (await openTestLedger(providers.target)).listApiKeys();
    await cli("key", "revoke", record!.id);
    const revokedAt = Date.now();
    const wallet = (server: HttpServerProcess) => fetch(`${server.url}/api/v1/credits/wallet/`, { headers: { authorization: `Bearer ${key}` } });
    await onEveryInstance("a revoked key", servers, revokedAt, async (server) => (await wallet(server)).status === 401);
    const requests = providers.sim.paidRequests().length;
    for (const server of servers) expect(await paidCall(server, key)).toEqual({ ok: false, code: "http_401" });
    expect(providers.sim.paidRequests()).toHaveLength(requests);
  });

  it("all hold the next call at a floor set on another host", async () => {
    const providers = await startProviders();
    const { cli, key, servers } = await fleet(providers);
    // A floor above the wallet: every instance refuses once it knows, and no provider request is made.
    await cli("rate-card", "set", "profile_draft", "--floor", "500");
    await onEveryInstance("a floor of 500 credits", servers, Date.now(), async (server) => (await paidCall(server, key)).code === "insufficient_credits");
    const requests = providers.sim.paidRequests().length;
    for (const server of servers) expect((await paidCall(server, key)).code).toBe("insufficient_credits");
    expect(providers.sim.paidRequests()).toHaveLength(requests);
    // Back within the wallet: every call from now on is held at exactly the new floor, and charged what it cost.
    await cli("rate-card", "set", "profile_draft", "--floor", "3");
    const since = Date.now();
    await onEveryInstance("a floor of 3 credits", servers, since, async (server) => (await paidCall(server, key)).ok);
    const ledger = await openTestLedger(providers.target);
    const held = await sqlRows(ledger, `SELECT hold_micro_credits FROM tool_calls WHERE created_at >= ${since}`);
    expect(held.length).toBeGreaterThanOrEqual(INSTANCES);
    expect(held.map((row) => row.hold_micro_credits)).toEqual(held.map(() => 3_000_000n));
    const spent = await sqlRows(ledger, `SELECT count(*) AS n FROM credit_transactions WHERE kind = 'spend' AND created_at >= ${since}`);
    expect(spent[0]!.n).toBe(BigInt(held.length));
  });

  it("all price the next call at a model price set, then removed, on another host", async () => {
    const providers = await startProviders();
    const { cli, key, servers } = await fleet(providers);
    const cards = JSON.parse((await cli("rate-card", "list", "--json")).stdout) as { rate_cards: { feature: string; model: string }[] };
    const card = cards.rate_cards.find((c) => c.feature === "profile_draft");
    // A dollar a token: the prompt alone is worth more than the wallet, so the hold cannot be placed.
    await cli("rate-card", "price", "set", card!.model, "--prompt", "1", "--completion", "1");
    await onEveryInstance("an operator's price", servers, Date.now(), async (server) => (await paidCall(server, key)).code === "insufficient_credits");
    const requests = providers.sim.paidRequests().length;
    for (const server of servers) expect((await paidCall(server, key)).code).toBe("insufficient_credits");
    expect(providers.sim.paidRequests()).toHaveLength(requests);
    await cli("rate-card", "price", "remove", card!.model);
    await onEveryInstance("a removed operator's price", servers, Date.now(), async (server) => (await paidCall(server, key)).ok);
  });
});
