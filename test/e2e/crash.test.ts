/**
 * Crash safety: the real server process killed (SIGKILL) at each failpoint of
 * a paid call, then `ecn-mcp reconcile` right away, or the next server's
 * start-up sweep. The deadlines are the defaults (minutes): the dead server's
 * calls are resolved at once because its pid is gone, not because time
 * passed. Afterwards every provider request the simulator saw is charged
 * exactly once, no hold is left, and the invariants hold.
 */
import { describe, expect, it } from "vitest";
import { FAILPOINTS } from "../../src/failpoints.js";
import { match } from "../helpers/matchers.js";
import { cliRunner, PROFILE_ARGS, releaseOnceReferenced, rows, type Stack, startStack, waitFor } from "../helpers/stack.js";
import { assertInvariants } from "../helpers/temp-ledger.js";

/** The CLI without the failpoint (a reconcile must not kill itself). */
function healthyCli(stack: Stack) {
  const { ECN_FAILPOINT: _armed, ...env } = stack.env;
  return cliRunner(env);
}

async function reconcile(stack: Stack) {
  const { stdout } = await healthyCli(stack)("reconcile", "--json");
  return JSON.parse(stdout) as { tool_call_id: string; action: string; credits_charged: number | null; note: string }[];
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

/**
 * How the provider answers: `streamed` is still generating when its reference arrives (the stream pauses until the
 * server has stored it), `whole` arrives in one piece with its reference (which then goes with the settle).
 */
type Answer = "streamed" | "whole";

const SCENARIOS: { point: (typeof FAILPOINTS)[number]; answer: Answer; expected: string }[] = [
  { point: "after_hold", answer: "whole", expected: "voided" },
  { point: "after_dispatch", answer: "whole", expected: "estimated" },
  { point: "after_provider_ref", answer: "streamed", expected: "settled" },
  { point: "after_provider_response", answer: "streamed", expected: "settled" },
  { point: "inside_settle", answer: "streamed", expected: "settled" },
  // The reference came with the whole answer and goes with the settle: a crash before that commit is charged the
  // hold, as a crash between a streamed answer's first bytes and its reference's commit is.
  { point: "after_provider_response", answer: "whole", expected: "estimated" },
  { point: "inside_settle", answer: "whole", expected: "estimated" },
];

describe("crash at each failpoint, then reconcile at once", () => {
  it("covers every failpoint", () => {
    expect(new Set(SCENARIOS.map((s) => s.point))).toEqual(new Set(FAILPOINTS));
  });

  it.each(SCENARIOS)("$point, answer $answer: the call is resolved once ($expected) and nothing is lost", async ({ point, answer, expected }) => {
    const stack = await startStack({ credits: "10", env: { ECN_FAILPOINT: point } });
    const referenced = answer === "streamed" ? releaseOnceReferenced(stack) : Promise.resolve();
    await expect(stack.call("profile_draft", PROFILE_ARGS)).rejects.toThrow();
    await referenced;
    const [open] = await stack.ledger.openCalls();
    expect(open, "the crash left the call open").toBeDefined();
    expect(open!.ownerInstanceId).toMatch(/^in_/);
    const report = await reconcile(stack);
    expect(report).toEqual([
      expect.objectContaining({
        tool_call_id: open!.id,
        action: expected,
        note: match.stringMatching(/^orphaned: its server in_\S+ \(pid \d+ on .+\) has exited; /),
      }),
    ]);
    expect(await stack.ledger.openCalls()).toEqual([]);
    expect(await stack.ledger.getWallet(stack.orgId)).toMatchObject({ heldMicroCredits: 0n });
    if (expected === "estimated") {
      // Charged the hold, flagged estimated: never less than what the provider billed (nothing, when nothing was sent).
      const [event] = await stack.ledger.usageEventsOfCall(open!.id);
      expect(event).toMatchObject({ estimated: true, providerRequestId: null, chargedMicroCredits: open!.walletHoldMicroCredits });
      const billedUsd = stack.sim.paidRequests().reduce((sum, r) => sum + r.billedUsd, 0);
      expect(Number(event!.chargedMicroCredits)).toBeGreaterThanOrEqual(Math.ceil(billedUsd * 125_000_000));
    } else await assertChargedOnce(stack);
    if (point === "after_dispatch" || point === "after_hold") expect(stack.sim.paidRequests()).toHaveLength(0);
    await assertInvariants(stack.ledger);
    // A second reconcile finds nothing to do.
    expect(await reconcile(stack)).toEqual([]);
  });

  it("charges the hold, flagged estimated, when the provider tells the reconciler a cost no request can have", async () => {
    const stack = await startStack({ credits: "10", env: { ECN_FAILPOINT: "after_provider_response" } });
    stack.sim.behave({ reportedCost: 1e300 });
    const referenced = releaseOnceReferenced(stack); // the reference is stored during the stream
    await expect(stack.call("profile_draft", PROFILE_ARGS)).rejects.toThrow();
    await referenced;
    const [open] = await stack.ledger.openCalls();
    expect(open!.providerRefs).toHaveLength(1);
    expect(await reconcile(stack)).toEqual([expect.objectContaining({ tool_call_id: open!.id, action: "estimated" })]);
    const [event] = await stack.ledger.usageEventsOfCall(open!.id);
    expect(event).toMatchObject({ estimated: true, providerRequestId: open!.providerRefs[0], chargedMicroCredits: open!.walletHoldMicroCredits });
    expect(await stack.ledger.openCalls()).toEqual([]);
    await assertInvariants(stack.ledger);
  });

  it("the next server's start-up sweep resolves a crashed call by itself", async () => {
    const stack = await startStack({ credits: "10", env: { ECN_FAILPOINT: "after_provider_response" } });
    const referenced = releaseOnceReferenced(stack); // the reference is stored during the stream
    await expect(stack.call("profile_draft", PROFILE_ARGS)).rejects.toThrow();
    await referenced;
    delete stack.env.ECN_FAILPOINT;
    await stack.restart();
    await waitFor(async () => (await stack.ledger.openCalls()).length === 0);
    await assertChargedOnce(stack);
    await assertInvariants(stack.ledger);
    expect((await stack.call("profile_draft", PROFILE_ARGS)).isError).toBeFalsy();
  });

  it("aborts an Apify run whose server was killed, at once, and charges it once at its real cost", async () => {
    const stack = await startStack({ credits: "100" });
    stack.apify.defaults.holdAtItems = 0; // it never finishes by itself
    const pending = stack.call("lead_signal_fetch", { query: "roofers Denver", max_results: 5 }).catch(() => undefined);
    await waitFor(async () => (await stack.ledger.openCalls())[0]?.providerRefs.length === 1);
    // A real crash mid-run: SIGKILL the server process.
    const pid = (stack.client.transport as unknown as { pid: number | null }).pid;
    process.kill(pid!, "SIGKILL");
    await pending;
    const report = await reconcile(stack);
    const run = stack.apify.startedRuns()[0]!;
    expect(report).toEqual([
      expect.objectContaining({ action: "settled", note: match.stringMatching(/^orphaned: .* has exited; settled at the cost apify reported/) }),
    ]);
    // Settled because its server died (the note says so), not at the 15-minute actor deadline.
    expect(run.status).toBe("ABORTED");
    const [event] = await stack.ledger.recentUsage({ orgId: stack.orgId, limit: 1 });
    expect(event!.providerRequestId).toBe(run.id);
    expect(Number(event!.costNanoUsd) / 1e9).toBeCloseTo(run.usageTotalUsd, 9);
    expect(await stack.ledger.openCalls()).toEqual([]);
    expect(await stack.ledger.getWallet(stack.orgId)).toMatchObject({ heldMicroCredits: 0n });
    expect((await rows(stack, "SELECT count(*) AS n FROM credit_transactions WHERE kind = 'spend'"))[0]).toEqual({ n: 1n });
    await assertInvariants(stack.ledger);
  });

  it("is safe from several reconcilers at once: each call resolves once", async () => {
    const stack = await startStack({ credits: "10", env: { ECN_FAILPOINT: "after_provider_response" } });
    const referenced = releaseOnceReferenced(stack); // the reference is stored during the stream
    await expect(stack.call("profile_draft", PROFILE_ARGS)).rejects.toThrow();
    await referenced;
    const reports = await Promise.all([reconcile(stack), reconcile(stack), reconcile(stack)]);
    const actions = reports
      .flat()
      .map((r) => r.action)
      .sort();
    expect(actions.filter((a) => a === "settled")).toHaveLength(1);
    expect(actions.every((a) => a === "settled" || a === "already_resolved")).toBe(true);
    expect((await rows(stack, "SELECT count(*) AS n FROM credit_transactions WHERE kind = 'spend'"))[0]).toEqual({ n: 1n });
    await assertChargedOnce(stack);
    await assertInvariants(stack.ledger);
  });
});
