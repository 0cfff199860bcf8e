/**
 * A request the provider billed although the caller gave up before learning
 * its reference (the deadline passed before the response began, and the
 * provider worked on regardless): nobody can ask what it cost, so the call
 * is charged its hold, flagged estimated, and that hold covers the bill.
 */
import { describe, expect, it } from "vitest";
import { assertInvariants } from "../helpers/temp-ledger.js";
import { AT_ONCE, startInProcess } from "../helpers/in-process.js";
import { waitFor } from "../helpers/wait.js";

describe("a billed request whose reference never arrived", () => {
  it("is charged the call's hold as an estimate, which covers what the provider billed", async () => {
    const stack = await startInProcess({ providerTimeoutMs: 200 });
    stack.sim.behave({ latencyMs: 400, ignoreDisconnect: true });
    const attempt = stack.metering.runLlm({ org: stack.org, feature: "profile_draft", args: {}, promptText: "hello" }, async (session) => {
      return (await session.chat([{ role: "user", content: "hello" }])).text;
    });
    await expect(attempt).rejects.toThrow(/the hold of 1 credits stays on call tc_\w+ until `ecn-mcp reconcile` learns the real cost/);
    const [open] = await stack.ledger.openCalls();
    expect(open).toMatchObject({ state: "unknown", providerRefs: [] });
    // The provider went on and billed the request; the caller never saw its id.
    await waitFor(() => stack.sim.working() === 0);
    const [billed] = stack.sim.paidRequests();
    expect(billed!.generationId).not.toBeNull();
    expect(billed!.billedUsd).toBeGreaterThan(0);

    expect(await stack.reconciler.run(AT_ONCE)).toEqual([expect.objectContaining({ tool_call_id: open!.id, action: "estimated" })]);
    const [event] = await stack.ledger.usageEventsOfCall(open!.id);
    expect(event).toMatchObject({ estimated: true, providerRequestId: null, chargedMicroCredits: 1_000_000n });
    // At markup 1.25 and $0.01 a credit, what the provider billed is worth billedUsd x 125 credits.
    expect(Number(event!.chargedMicroCredits)).toBeGreaterThanOrEqual(Math.ceil(billed!.billedUsd * 125_000_000));
    await assertInvariants(stack.ledger);
  });
});
