/**
 * A hold always covers the worst case a call can cost: a call runs only on a
 * model whose worst-case price is known (OpenRouter's list, a router priced
 * at the dearest listed model, or the operator's price), on every path (chat,
 * embeddings, context_pack_compile). Each refusal happens before anything is
 * held or sent.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { ROUTED_TO } from "../../src/simulator/openrouter-content.js";
import { countRows, PROFILE_ARGS, rows, type Stack, startStack, textOf } from "../helpers/stack.js";
import { assertInvariants } from "../helpers/temp-ledger.js";

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

async function holds(stack: Stack): Promise<{ id: string; hold: bigint; state: string }[]> {
  return (await rows(stack, "SELECT id, hold_micro_credits AS hold, state FROM tool_calls ORDER BY created_at")) as {
    id: string;
    hold: bigint;
    state: string;
  }[];
}

/** Every settled call was charged no more than it held, and the wallet never went below zero. */
async function assertWithinHolds(stack: Stack): Promise<void> {
  for (const call of await holds(stack)) {
    const charged = (await stack.ledger.usageEventsOfCall(call.id)).reduce((sum, e) => sum + e.chargedMicroCredits, 0n);
    expect(charged, call.id).toBeLessThanOrEqual(call.hold);
  }
  const wallet = await stack.ledger.getWallet(stack.orgId);
  expect(wallet.balanceMicroCredits).toBeGreaterThanOrEqual(0n);
  expect(wallet.heldMicroCredits).toBe(0n);
  const overHold = (await rows(stack, "SELECT count(*) AS n FROM usage_events WHERE over_hold = 1"))[0] as { n: bigint };
  expect(overHold.n).toBe(0n);
  await assertInvariants(stack.ledger);
}

describe("models without a known price", () => {
  it("refuses a model OpenRouter does not list, whatever the provider would serve, before anything is held or sent", async () => {
    const stack = await startStack({ credits: "1" });
    // The simulated OpenRouter serves the first two (a dynamic variant at 1.5x its base price, a variant it does not list).
    for (const model of ["openai/gpt-4o-mini:nitro", "openai/gpt-4o:online", "openai/gpt-4o-mini:free", "acme/private-model"]) {
      const result = await stack.call("profile_draft", { ...PROFILE_ARGS, model, max_tokens: 16_000 });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(new RegExp(`^invalid_input: model "${escape(model)}" has no known price: .*Nothing was run or charged`));
      expect(textOf(result)).toContain(`ecn-mcp rate-card price set ${model} --prompt`);
    }
    expect(stack.sim.paidRequests()).toHaveLength(0);
    expect(await countRows(stack, "tool_calls")).toBe(0n);
    expect(await stack.ledger.getWallet(stack.orgId)).toMatchObject({ balanceMicroCredits: 1_000_000n, heldMicroCredits: 0n });
  });

  it("runs a listed free variant at its listed price", async () => {
    const stack = await startStack({ credits: "1" });
    const result = await stack.call("profile_draft", { ...PROFILE_ARGS, model: "meta-llama/llama-3.1-8b-instruct:free" });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect((result.structuredContent as { metering: { credits_charged: number } }).metering.credits_charged).toBe(0);
  });

  it("runs an unlisted model once the operator prices it, and holds its worst case at that price", async () => {
    const stack = await startStack({ credits: "5" });
    const { stdout } = await stack.cli("rate-card", "price", "set", "openai/gpt-4o:nitro", "--prompt", "0.00000375", "--completion", "0.000015", "--json");
    expect(JSON.parse(stdout)).toEqual([expect.objectContaining({ model: "openai/gpt-4o:nitro", prompt_usd: "0.00000375", completion_usd: "0.000015" })]);
    const result = await stack.call("profile_draft", { ...PROFILE_ARGS, model: "openai/gpt-4o:nitro", max_tokens: 16_000 });
    expect(result.isError, textOf(result)).toBeFalsy();
    // 16,000 tokens at $0.000015 would need 30 credits: max_tokens was lowered until the worst case fits 5.
    const sent = (stack.sim.paidRequests()[0]!.body as { max_tokens: number }).max_tokens;
    expect(sent).toBeLessThan(2_700);
    expect(sent).toBeGreaterThan(2_000);
    await assertWithinHolds(stack);
    // Without the price, the model is refused again.
    await stack.cli("rate-card", "price", "remove", "openai/gpt-4o:nitro");
    expect(textOf(await stack.call("profile_draft", { ...PROFILE_ARGS, model: "openai/gpt-4o:nitro" }))).toMatch(/^invalid_input: model /);
  });

  it("never holds less than OpenRouter's list price, whatever the operator says", async () => {
    const stack = await startStack({ credits: "50" });
    await stack.call("profile_draft", { ...PROFILE_ARGS, model: "openai/gpt-4o", max_tokens: 4_000 });
    await stack.cli("rate-card", "price", "set", "openai/gpt-4o", "--prompt", "0", "--completion", "0");
    await stack.call("profile_draft", { ...PROFILE_ARGS, model: "openai/gpt-4o", max_tokens: 4_000 });
    const [first, second] = await holds(stack);
    expect(second!.hold).toBe(first!.hold);
  });

  it("refuses every model while OpenRouter's price list cannot be loaded on a fresh ledger", async () => {
    // Failing from the start: the server's own fetch of the price list at start-up fails too, not only the call's.
    const stack = await startStack({ credits: "10", openRouterDefaults: { modelsFailure: 503 } });
    const result = await stack.call("profile_draft", PROFILE_ARGS);
    expect(textOf(result)).toMatch(/^provider_error: OpenRouter's price list \(GET \/models\) cannot be loaded .*Nothing was run or charged/);
    expect(stack.sim.paidRequests()).toHaveLength(0);
    expect(await countRows(stack, "tool_calls")).toBe(0n);
  });

  it("names the operator's fix when the rate card's own model has no price", async () => {
    const stack = await startStack({ credits: "10" });
    const set = await stack.cli("rate-card", "set", "profile_draft", "--model", "acme/private-model");
    expect(set.stderr).toContain("warning: acme/private-model has no known price");
    const result = await stack.call("profile_draft", PROFILE_ARGS);
    expect(textOf(result)).toMatch(/^provider_not_configured: profile_draft uses model "acme\/private-model" has no known price/);
    expect(textOf(result)).toContain("ecn-mcp rate-card price set acme/private-model");
    expect(stack.sim.paidRequests()).toHaveLength(0);
  });

  it("refuses context_pack_compile before either request when the embeddings model has no price", async () => {
    const stack = await startStack({ credits: "10", env: { ECN_EMBEDDING_MODEL: "acme/embedder" } });
    const result = await stack.call("context_pack_compile", {
      goal: "Answer booking questions for the clinic",
      documents: [{ title: "Booking", content: "Book 30 days ahead." }],
    });
    expect(textOf(result)).toMatch(/^provider_not_configured: context_pack_compile uses model "acme\/embedder" .*ECN_EMBEDDING_MODEL/);
    expect(stack.sim.paidRequests()).toHaveLength(0);
    expect(await countRows(stack, "tool_calls")).toBe(0n);
  });
});

describe("worst cases beyond the completion price", () => {
  it("prices a router at the most expensive listed model: twelve parallel calls never overdraw a 10-credit wallet", async () => {
    const stack = await startStack({ credits: "10" });
    const results = await Promise.all(
      Array.from({ length: 12 }, () => stack.call("profile_draft", { ...PROFILE_ARGS, model: "openrouter/auto", max_tokens: 16_000 })),
    );
    const ok = results.filter((r: CallToolResult) => !r.isError);
    expect(ok.length).toBeGreaterThan(0);
    for (const refused of results.filter((r) => r.isError)) expect(textOf(refused)).toMatch(/^insufficient_credits: /);
    // The router answered with the dearest model; every request the provider billed is within its call's hold.
    const events = await stack.ledger.recentUsage({ orgId: stack.orgId, limit: 50 });
    expect(new Set(events.map((e) => e.model))).toEqual(new Set([ROUTED_TO]));
    expect(stack.sim.paidRequests()).toHaveLength(ok.length);
    await assertWithinHolds(stack);
  });

  it("keeps a hard daily budget with a router model", async () => {
    const stack = await startStack({ credits: "100" });
    await stack.cli("budget", "set", "--org", "e2e", "--period", "day", "--credits", "5");
    let refused: CallToolResult | undefined;
    for (let i = 0; i < 10 && !refused; i++) {
      const result = await stack.call("profile_draft", { ...PROFILE_ARGS, model: "openrouter/auto" });
      if (result.isError) refused = result;
    }
    expect(textOf(refused!)).toMatch(/^budget_exceeded: the hard daily budget for all features/);
    const [standing] = await stack.ledger.budgetStandings(stack.orgId, Date.now());
    expect(standing!.usedMicroCredits).toBeLessThanOrEqual(5_000_000n);
    await assertWithinHolds(stack);
  });

  it("counts reasoning tokens at their own (higher) price", async () => {
    const stack = await startStack({ credits: "10" });
    const result = await stack.call("profile_draft", { ...PROFILE_ARGS, model: "deepseek/deepseek-r1", max_tokens: 2_000 });
    expect(result.isError, textOf(result)).toBeFalsy();
    const [event] = await stack.ledger.recentUsage({ orgId: stack.orgId, limit: 1 });
    // The model thought through the rest of max_tokens at $0.000004 a token, twice its completion price:
    // a hold of prompt + 2,000 x $0.000002 would not have covered it.
    const completionOnlyNano = BigInt(event!.promptTokens!) * 400n + 2_000n * 2_000n;
    expect(event!.costNanoUsd).toBeGreaterThan(completionOnlyNano);
    await assertWithinHolds(stack);
  });

  it("counts a model's per-request and web-search fees", async () => {
    const stack = await startStack({ credits: "10" });
    const result = await stack.call("profile_draft", { ...PROFILE_ARGS, model: "perplexity/sonar", max_tokens: 300 });
    expect(result.isError, textOf(result)).toBeFalsy();
    const [call] = await holds(stack);
    // $0.005 a request plus five searches at $0.005: at least $0.03 x 1.25 / $0.01 = 3.75 credits held.
    expect(call!.hold).toBeGreaterThanOrEqual(3_750_000n);
    await assertWithinHolds(stack);
  });
});
