/**
 * A paid call whose owning process stalls (a VM pause, SIGSTOP, a long GC)
 * while another process reconciles it. The dispatch mark is a checked
 * transition: a call the reconciler voided is never sent. And whatever the
 * answer says was charged is what the ledger holds, whoever resolved the call.
 */
import { describe, expect, it } from "vitest";
import { EcnError } from "../../src/errors.js";
import { assertInvariants, sqlRows } from "../helpers/store.js";
import { rejectionOf } from "../helpers/rejection.js";
import { AT_ONCE, startInProcess, type InProcess } from "../helpers/in-process.js";

function llmCall(stack: InProcess, work: Parameters<InProcess["metering"]["runLlm"]>[1]) {
  return stack.metering.runLlm({ org: stack.org, feature: "profile_draft", args: {}, promptText: "x".repeat(200) }, work);
}

const refusal = (promise: Promise<unknown>) => rejectionOf(promise, EcnError);

describe("the owner stalls between its hold and its dispatch mark", () => {
  it("does not send an LLM request the reconciler already voided", async () => {
    const stack = await startInProcess();
    const error = await refusal(
      llmCall(stack, async (session) => {
        // The owner stalls here long enough for another process to reconcile its call as never sent.
        expect(await stack.reconciler.run(AT_ONCE)).toEqual([expect.objectContaining({ action: "voided" })]);
        return (await session.chat([{ role: "user", content: "hello" }])).text;
      }),
    );
    expect(error.code).toBe("provider_error");
    expect(error.message).toMatch(
      /^call tc_\w+ was resolved \(voided\) before its request was sent: .*Nothing was sent to the provider; retry the call\. Nothing was charged\./,
    );
    expect(stack.sim.paidRequests()).toHaveLength(0);
    expect(await sqlRows(stack.ledger, "SELECT state FROM tool_calls")).toEqual([{ state: "voided" }]);
    expect(await stack.ledger.getWallet(stack.org.id)).toMatchObject({ balanceMicroCredits: 10_000_000n, heldMicroCredits: 0n });
    await assertInvariants(stack.ledger);
  });

  it("does not start an Apify run the reconciler already voided", async () => {
    const stack = await startInProcess({ credits: 100_000_000n });
    const error = await refusal(
      stack.metering.runActor({ org: stack.org, feature: "lead_signal_fetch", args: { q: 1 } }, async (session) => {
        await stack.reconciler.run(AT_ONCE);
        return session.run({ queries: "dentists" }, { maxItems: 5, onProgress: async () => undefined });
      }),
    );
    expect(error.message).toMatch(/was resolved \(voided\) before its request was sent/);
    expect(stack.apify.startedRuns()).toHaveLength(0);
    expect(await stack.ledger.getWallet(stack.org.id)).toMatchObject({ balanceMicroCredits: 100_000_000n, heldMicroCredits: 0n });
    await assertInvariants(stack.ledger);
  });
});

describe("another process resolves the call while its owner is still working", () => {
  it("answers with the charge the ledger recorded, not the one the owner computed", async () => {
    const stack = await startInProcess();
    const result = await llmCall(stack, async (session) => {
      const completion = await session.chat([{ role: "user", content: "hello" }]);
      // The owner stalls past its deadline; a reconciler finds the call and charges its whole hold as an estimate.
      const [open] = await stack.other.openCalls();
      await stack.other.settleCall(
        open!.id,
        [
          {
            provider: "openrouter",
            model: null,
            providerRequestId: null,
            outcome: "failed",
            promptTokens: null,
            completionTokens: null,
            totalTokens: null,
            costNanoUsd: 8_000_000n,
            costSource: "estimated",
            markup: "1.25",
            creditUsdValue: "0.01",
            chargedMicroCredits: open!.walletHoldMicroCredits,
            meteredMicroCredits: open!.holdMicroCredits,
            estimated: true,
            priceUnknown: false,
            createdAt: Date.now(),
          },
        ],
        { error: { code: "provider_error", message: "estimated by reconcile" } },
        Date.now(),
      );
      return completion.text;
    });
    const wallet = await stack.ledger.getWallet(stack.org.id);
    const [call] = (await sqlRows(stack.ledger, "SELECT hold_micro_credits AS hold FROM tool_calls")) as { hold: bigint }[];
    expect(result.metering.credits_charged).toBe(Number(call!.hold) / 1e6);
    expect(result.metering.balance_credits).toBe(Number(wallet.balanceMicroCredits) / 1e6);
    expect(wallet.balanceMicroCredits).toBe(10_000_000n - call!.hold);
    await assertInvariants(stack.ledger);
  });
});
