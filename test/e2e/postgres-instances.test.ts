/**
 * Several `ecn-mcp http` instances on one PostgreSQL database, as a hosted
 * deployment runs: 64 paid calls in flight on each against one organisation
 * whose wallet (or hard budget) covers fewer than half of them. No
 * overspend, every success charged once, every refusal the right code; and
 * an instance killed in the middle loses nothing once `reconcile` has run
 * (at once: its calls are orphans the moment its process is gone).
 */
import { describe, expect, it } from "vitest";
import { assertNothingLost } from "../helpers/billing.js";
import { callToolOverHttp, spawnHttpServer, type HttpServerProcess, type ToolOutcome } from "../helpers/http-stack.js";
import { cliRunner, PROFILE_ARGS, startProviders, type Providers } from "../helpers/stack.js";
import { assertInvariants, openTestLedger, sqlRows } from "../helpers/store.js";

const INSTANCES = 3;
const IN_FLIGHT = 64;

type Outcome = ToolOutcome;
const paidCall = (server: HttpServerProcess, key: string): Promise<Outcome> => callToolOverHttp(server.url, key, "profile_draft", PROFILE_ARGS);

async function fleet(providers: Providers, credits: string, env: Record<string, string>[] = []): Promise<{ servers: HttpServerProcess[]; key: string }> {
  const cli = cliRunner(providers.env);
  await cli("org", "create", "acme");
  await cli("credits", "grant", "--org", "acme", "--credits", credits);
  const key = (JSON.parse((await cli("key", "create", "--org", "acme", "--json")).stdout) as { key: string }).key;
  const servers = await Promise.all(Array.from({ length: INSTANCES }, (_, i) => spawnHttpServer({ ...providers.env, ...(env[i] ?? {}) })));
  return { servers, key };
}

const everyone = (servers: HttpServerProcess[], key: string) =>
  Promise.all(servers.flatMap((server) => Array.from({ length: IN_FLIGHT }, () => paidCall(server, key))));

/** Each success and refusal accounted for; the charges equal the successes; the books hold. */
async function assertSettledExactly(providers: Providers, outcomes: Outcome[], refusal: string): Promise<number> {
  const ledger = await openTestLedger(providers.target);
  const successes = outcomes.filter((o) => o.ok).length;
  expect(outcomes.filter((o) => !o.ok).map((o) => o.code)).toEqual(Array(outcomes.length - successes).fill(refusal));
  expect(successes).toBeGreaterThan(0);
  expect(successes).toBeLessThan(outcomes.length);
  expect(providers.sim.paidRequests()).toHaveLength(successes);
  const spends = await sqlRows(ledger, "SELECT count(*) AS n FROM credit_transactions WHERE kind = 'spend'");
  expect(spends[0]!.n).toBe(BigInt(successes));
  const [org] = await ledger.listOrgs();
  const wallet = await ledger.getWallet(org!.id);
  expect(wallet.heldMicroCredits).toBe(0n);
  expect(wallet.balanceMicroCredits).toBeGreaterThanOrEqual(0n);
  await assertInvariants(ledger);
  return successes;
}

describe(`${INSTANCES} HTTP instances on one PostgreSQL database`, () => {
  it(`never overspend a wallet that covers fewer than half of ${INSTANCES * IN_FLIGHT} calls in flight`, async () => {
    const providers = await startProviders();
    // Every call is held for at least 800 ms at the provider, so the holds overlap; each costs 0.6 of its 1-credit hold.
    providers.sim.defaults.latencyMs = 800;
    providers.sim.defaults.costUsd = 0.0048;
    const { servers, key } = await fleet(providers, "80");
    const outcomes = await everyone(servers, key);
    const successes = await assertSettledExactly(providers, outcomes, "insufficient_credits");
    // Never more calls at the provider at once than the wallet could hold.
    expect(providers.sim.maxInFlight()).toBeLessThanOrEqual(80);
    const ledger = await openTestLedger(providers.target);
    const [org] = await ledger.listOrgs();
    expect((await ledger.getWallet(org!.id)).balanceMicroCredits).toBe(80_000_000n - BigInt(successes) * 600_000n);
  }, 90_000);

  it("never pass a hard budget that covers fewer than half of the calls in flight", async () => {
    const providers = await startProviders();
    providers.sim.defaults.latencyMs = 800;
    providers.sim.defaults.costUsd = 0.0048;
    const { servers, key } = await fleet(providers, "1000");
    await cliRunner(providers.env)("budget", "set", "--org", "acme", "--period", "day", "--credits", "80");
    const outcomes = await everyone(servers, key);
    await assertSettledExactly(providers, outcomes, "budget_exceeded");
    const ledger = await openTestLedger(providers.target);
    const [org] = await ledger.listOrgs();
    const [standing] = await ledger.budgetStandings(org!.id, Date.now());
    expect(standing!.usedMicroCredits).toBeLessThanOrEqual(80_000_000n);
    expect(providers.sim.maxInFlight()).toBeLessThanOrEqual(80);
  }, 90_000);

  it("lose nothing when one instance is killed in the middle: reconcile charges every billed request once", async () => {
    const providers = await startProviders();
    providers.sim.defaults.latencyMs = 200;
    // The third instance SIGKILLs itself as soon as one of its calls has its provider's answer.
    const { servers, key } = await fleet(providers, "500", [{}, {}, { ECN_FAILPOINT: "after_provider_response" }]);
    const outcomes = await everyone(servers, key);
    expect(await servers[2]!.exited).toBeNull(); // killed by a signal
    // The living instances kept serving.
    const codes = outcomes.reduce<Record<string, number>>((t, o) => ((t[o.code] = (t[o.code] ?? 0) + 1), t), {});
    expect(outcomes.filter((o) => o.ok).length, JSON.stringify(codes)).toBeGreaterThan(IN_FLIGHT);
    expect(
      Object.keys(codes).filter((code) => !["ok", "provider_error", "connection_lost"].includes(code)),
      JSON.stringify(codes),
    ).toEqual([]);
    // At once, with the default deadlines: the dead instance's pid is gone.
    const { stdout } = await cliRunner(providers.env)("reconcile", "--json");
    expect((JSON.parse(stdout) as { action: string }[]).length).toBeGreaterThan(0);
    await assertNothingLost(await openTestLedger(providers.target), providers.sim, "after the kill");
  }, 90_000);
});
