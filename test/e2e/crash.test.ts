/**
 * Crash safety: the real server process killed (SIGKILL) at each failpoint of
 * a paid call, then `ecn-mcp reconcile` or the next server's start-up sweep.
 * Afterwards every provider request the simulator saw is charged exactly
 * once, no hold is left, and the invariants hold.
 */
import { describe, expect, it } from "vitest";
import { FAILPOINTS } from "../../src/failpoints.js";
import { cliRunner, PROFILE_ARGS, rows, type Stack, startStack } from "../helpers/stack.js";
import { assertInvariants } from "../helpers/temp-ledger.js";

const FAST = { ECN_PROVIDER_TIMEOUT_MS: "1000", ECN_ACTOR_TIMEOUT_MS: "1000", ECN_RECONCILE_GRACE_MS: "0" };

/** The CLI without the failpoint (a reconcile must not kill itself). */
function healthyCli(stack: Stack) {
  const { ECN_FAILPOINT: _armed, ...env } = stack.env;
  return cliRunner(env);
}

async function reconcile(stack: Stack) {
  const { stdout } = await healthyCli(stack)("reconcile", "--json");
  return JSON.parse(stdout) as { tool_call_id: string; action: string; credits_charged: number | null }[];
}

/** Each request the simulators billed has exactly one usage event, with the cost they billed. */
async function assertChargedOnce(stack: Stack): Promise<void> {
  const events = (await rows(stack, "SELECT provider_request_id AS ref, cost_nano_usd AS cost FROM usage_events WHERE provider_request_id IS NOT NULL")) as {
    ref: string;
    cost: bigint;
  }[];
  const billed = stack.sim.paidRequests().filter((r) => r.generationId);
  expect(events.map((e) => e.ref).sort()).toEqual(billed.map((r) => r.generationId).sort());
  for (const request of billed) {
    const event = events.find((e) => e.ref === request.generationId)!;
    expect(Number(event.cost) / 1e9).toBeCloseTo(request.billedUsd, 9);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("crash at each failpoint, then reconcile", () => {
  it.each(FAILPOINTS)("%s: the call is resolved once and nothing is lost", async (point) => {
    const stack = await startStack({ credits: "10", env: { ...FAST, ECN_FAILPOINT: point } });
    await expect(stack.call("profile_draft", PROFILE_ARGS)).rejects.toThrow();
    const [open] = await stack.ledger.openCalls();
    expect(open, "the crash left the call open").toBeDefined();
    await sleep(1_100); // past the call's deadline: its process is surely gone
    const report = await reconcile(stack);
    const expected = { after_hold: "voided", after_dispatch: "estimated", after_provider_response: "settled", inside_settle: "settled" }[point];
    expect(report).toEqual([expect.objectContaining({ tool_call_id: open!.id, action: expected })]);
    expect(await stack.ledger.openCalls()).toEqual([]);
    expect(await stack.ledger.getWallet(stack.orgId)).toMatchObject({ heldMicroCredits: 0n });
    await assertChargedOnce(stack);
    if (point === "after_dispatch") {
      // Nothing reached the provider, but nobody can prove it: charged the hold, flagged estimated.
      expect(stack.sim.paidRequests()).toHaveLength(0);
      const [event] = await stack.ledger.usageEventsOfCall(open!.id);
      expect(event).toMatchObject({ estimated: true, chargedMicroCredits: open!.walletHoldMicroCredits });
    }
    if (point === "after_hold") expect(stack.sim.paidRequests()).toHaveLength(0);
    await assertInvariants(stack.ledger);
    // A second reconcile finds nothing to do.
    expect(await reconcile(stack)).toEqual([]);
  });

  it("charges the hold, flagged estimated, when the provider tells the reconciler a cost no request can have", async () => {
    const stack = await startStack({ credits: "10", env: { ...FAST, ECN_FAILPOINT: "after_provider_response" } });
    stack.sim.behave({ reportedCost: 1e300 });
    await expect(stack.call("profile_draft", PROFILE_ARGS)).rejects.toThrow();
    const [open] = await stack.ledger.openCalls();
    expect(open!.providerRefs).toHaveLength(1);
    await sleep(1_100);
    expect(await reconcile(stack)).toEqual([expect.objectContaining({ tool_call_id: open!.id, action: "estimated" })]);
    const [event] = await stack.ledger.usageEventsOfCall(open!.id);
    expect(event).toMatchObject({ estimated: true, providerRequestId: open!.providerRefs[0], chargedMicroCredits: open!.walletHoldMicroCredits });
    expect(await stack.ledger.openCalls()).toEqual([]);
    await assertInvariants(stack.ledger);
  });

  it("the next server's start-up sweep resolves a crashed call by itself", async () => {
    const stack = await startStack({ credits: "10", env: { ...FAST, ECN_FAILPOINT: "after_provider_response" } });
    await expect(stack.call("profile_draft", PROFILE_ARGS)).rejects.toThrow();
    await sleep(1_100);
    delete stack.env.ECN_FAILPOINT;
    await stack.restart();
    const deadline = Date.now() + 10_000;
    while ((await stack.ledger.openCalls()).length > 0 && Date.now() < deadline) await sleep(50);
    expect(await stack.ledger.openCalls()).toEqual([]);
    await assertChargedOnce(stack);
    await assertInvariants(stack.ledger);
    expect((await stack.call("profile_draft", PROFILE_ARGS)).isError).toBeFalsy();
  });

  it("leaves an Apify run that is still going, then settles it at its real cost once it ends", async () => {
    const stack = await startStack({ credits: "100", env: FAST });
    stack.apify.defaults.durationMs = 8_000; // 5 of its 10 items, the run's end, come after about 4 s
    const pending = stack.call("lead_signal_fetch", { query: "roofers Denver", max_results: 5 }).catch(() => undefined);
    while (stack.apify.startedRuns().length === 0) await sleep(25);
    while ((await stack.ledger.openCalls())[0]?.providerRefs.length !== 1) await sleep(25);
    // A real crash mid-run: SIGKILL the server process.
    const pid = (stack.client.transport as unknown as { pid: number | null }).pid;
    process.kill(pid!, "SIGKILL");
    await pending;
    await sleep(1_100);
    expect(await reconcile(stack)).toEqual([expect.objectContaining({ action: "left_running" })]);
    while (["READY", "RUNNING"].includes(stack.apify.startedRuns()[0]!.status)) await sleep(100);
    expect(await reconcile(stack)).toEqual([expect.objectContaining({ action: "settled" })]);
    const [event] = await stack.ledger.recentUsage({ orgId: stack.orgId, limit: 1 });
    expect(Number(event!.costNanoUsd) / 1e9).toBeCloseTo(stack.apify.startedRuns()[0]!.usageTotalUsd, 9);
    expect(event!.providerRequestId).toBe(stack.apify.startedRuns()[0]!.id);
    await assertInvariants(stack.ledger);
  });

  it("is safe from several reconcilers at once: each call resolves once", async () => {
    const stack = await startStack({ credits: "10", env: { ...FAST, ECN_FAILPOINT: "after_provider_response" } });
    await expect(stack.call("profile_draft", PROFILE_ARGS)).rejects.toThrow();
    await sleep(1_100);
    const reports = await Promise.all([reconcile(stack), reconcile(stack), reconcile(stack)]);
    const actions = reports.flat().map((r) => r.action).sort();
    expect(actions.filter((a) => a === "settled")).toHaveLength(1);
    expect(actions.every((a) => a === "settled" || a === "already_resolved")).toBe(true);
    expect((await rows(stack, "SELECT count(*) AS n FROM credit_transactions WHERE kind = 'spend'"))[0]).toEqual({ n: 1n });
    await assertChargedOnce(stack);
    await assertInvariants(stack.ledger);
  });
});
