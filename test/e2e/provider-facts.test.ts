/**
 * Provider facts the simulators reproduce and the adapters must cope with,
 * end to end through the built server: BYOK costs on both the live and the
 * reconcile path, and an Apify run that reports no usageTotalUsd.
 */
import { describe, expect, it } from "vitest";
import { cliRunner, PROFILE_ARGS, releaseOnceReferenced, rows, startStack, textOf } from "../helpers/stack.js";
import { assertInvariants } from "../helpers/store.js";

describe("BYOK: OpenRouter's fee plus the upstream spend on the operator's own key", () => {
  it("is what a completion is charged", async () => {
    const stack = await startStack({ credits: "10" });
    stack.sim.behave({ byok: true, costUsd: 0.0012 }); // fee $0.00006 in usage.cost, $0.00114 upstream
    const result = await stack.call("profile_draft", PROFILE_ARGS);
    expect(result.isError, textOf(result)).toBeFalsy();
    expect((result.structuredContent as { metering: { cost_usd: number; credits_charged: number } }).metering).toMatchObject({
      cost_usd: 0.0012,
      credits_charged: 0.15,
    });
    await assertInvariants(stack.ledger);
  });

  it("is what reconcile charges when it prices the request from the generation endpoint", async () => {
    const stack = await startStack({ credits: "10", env: { ECN_FAILPOINT: "after_provider_response" } });
    stack.sim.behave({ byok: true, costUsd: 0.0012 });
    const referenced = releaseOnceReferenced(stack); // the reference is stored during the stream
    await expect(stack.call("profile_draft", PROFILE_ARGS)).rejects.toThrow();
    await referenced;
    const { ECN_FAILPOINT: _armed, ...env } = stack.env;
    const report = JSON.parse((await cliRunner(env)("reconcile", "--json")).stdout) as { action: string; cost_usd: number }[];
    expect(report).toEqual([expect.objectContaining({ action: "settled", cost_usd: 0.0012 })]);
    await assertInvariants(stack.ledger);
  });
});

describe("an Apify run that reports no usageTotalUsd", () => {
  it("is never free: the call stays unknown with its hold, for the reconciler", async () => {
    const stack = await startStack({ credits: "100" });
    stack.apify.behave({ reportedUsageTotalUsd: undefined, durationMs: 50 });
    const result = await stack.call("lead_signal_fetch", { query: "dentists Austin", max_results: 3 });
    expect(textOf(result)).toMatch(/^provider_error: .*did not report what the request cost.*hold of 75 credits stays/);
    expect(await rows(stack, "SELECT state FROM tool_calls")).toEqual([{ state: "unknown" }]);
    expect(await stack.ledger.getWallet(stack.orgId)).toMatchObject({ balanceMicroCredits: 100_000_000n, heldMicroCredits: 75_000_000n });
    expect(await rows(stack, "SELECT count(*) AS n FROM usage_events")).toEqual([{ n: 0n }]);
    await assertInvariants(stack.ledger);
  });
});
