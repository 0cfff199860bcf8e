/**
 * Several server processes on one ledger file, each with many paid calls in
 * flight: no overspend, every success charged once, refusals are
 * insufficient_credits; idempotency keys hold across processes.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { PROFILE_ARGS, rows, startStack, textOf } from "../helpers/stack.js";
import { assertInvariants } from "../helpers/temp-ledger.js";

const call = (client: Client, args: Record<string, unknown>) =>
  client.callTool({ name: "profile_draft", arguments: args }, undefined, { timeout: 60_000 }) as Promise<CallToolResult>;

describe("paid calls from several processes at once", () => {
  it("4 processes x 16 calls in flight on a wallet for fewer than half never overspend", async () => {
    // 30 credits; every call holds the 1-credit floor while the provider takes 1.5 s.
    const stack = await startStack({ credits: "30" });
    stack.sim.defaults.latencyMs = 1_500;
    stack.sim.defaults.costUsd = 0.0004; // 0.05 credits each
    const clients = [stack.client, ...(await Promise.all([1, 2, 3].map(() => stack.anotherClient())))];
    const results = (await Promise.all(clients.flatMap((client) => Array.from({ length: 16 }, () => call(client, PROFILE_ARGS))))).map((r) => ({
      ok: !r.isError,
      text: textOf(r),
      metering: (r.structuredContent as { metering?: { tool_call_id: string } } | undefined)?.metering,
    }));
    const successes = results.filter((r) => r.ok);
    const refusals = results.filter((r) => !r.ok);
    expect(successes.length + refusals.length).toBe(64);
    // Never more calls running at the provider than the wallet could hold...
    expect(stack.sim.maxInFlight()).toBeLessThanOrEqual(30);
    // ...and the wallet was used: at least its 30 holds succeeded, and many calls were refused.
    expect(successes.length).toBeGreaterThanOrEqual(30);
    expect(refusals.length).toBeGreaterThan(0);
    for (const refusal of refusals) expect(refusal.text).toMatch(/^insufficient_credits: /);

    const wallet = await stack.ledger.getWallet(stack.orgId);
    expect(wallet.heldMicroCredits).toBe(0n);
    expect(wallet.balanceMicroCredits).toBe(30_000_000n - BigInt(successes.length) * 50_000n);
    const spends = (await rows(stack, "SELECT tool_call_id AS id FROM credit_transactions WHERE kind = 'spend'")) as { id: string }[];
    expect(spends.map((s) => s.id).sort()).toEqual(successes.map((s) => s.metering!.tool_call_id).sort());
    expect(stack.sim.paidRequests()).toHaveLength(successes.length);
    await assertInvariants(stack.ledger);
  });
});

describe("idempotency keys across processes", () => {
  it("the same key from two processes at once makes one provider request; both get the first result", async () => {
    const stack = await startStack({ credits: "10" });
    stack.sim.defaults.latencyMs = 600;
    const other = await stack.anotherClient();
    const args = { ...PROFILE_ARGS, idempotency_key: "campaign-42/profile" };
    const [a, b] = await Promise.all([call(stack.client, args), call(other, args)]);
    expect(a.isError, textOf(a)).toBeFalsy();
    expect(b.isError, textOf(b)).toBeFalsy();
    expect(b.structuredContent).toEqual(a.structuredContent);
    expect(stack.sim.paidRequests()).toHaveLength(1);
    expect((await rows(stack, "SELECT count(*) AS n FROM tool_calls"))[0]).toEqual({ n: 1n });
    await assertInvariants(stack.ledger);
  });

  it("a key refused for lack of credits leaves no trace: the same key runs once credits are added", async () => {
    const stack = await startStack({ credits: "0.5" });
    const args = { ...PROFILE_ARGS, idempotency_key: "retry-after-topup" };
    expect(textOf(await call(stack.client, args))).toMatch(/^insufficient_credits: /);
    await stack.cli("credits", "grant", "--org", "e2e", "--credits", "10");
    const retried = await call(stack.client, args);
    expect(retried.isError, textOf(retried)).toBeFalsy();
    const again = await call(stack.client, args);
    expect(again.structuredContent).toEqual(retried.structuredContent);
    expect(stack.sim.paidRequests()).toHaveLength(1);
  });

  it("a key whose first call was voided by a provider error runs anew", async () => {
    const stack = await startStack({ credits: "10" });
    stack.sim.behave({ fail: { status: 503, message: "Service Unavailable" } });
    const args = { ...PROFILE_ARGS, idempotency_key: "voided-first" };
    expect(textOf(await call(stack.client, args))).toMatch(/^provider_error: /);
    const second = await call(stack.client, args);
    expect(second.isError, textOf(second)).toBeFalsy();
    expect(stack.sim.paidRequests()).toHaveLength(2);
    await assertInvariants(stack.ledger);
  });
});
