/**
 * Every LLM feature end to end over stdio: the real MCP Client, the built
 * server, the OpenRouter simulator. Each is charged exactly cost x markup,
 * makes the provider requests it should, and returns its structured output.
 */
import { describe, expect, it } from "vitest";
import { match } from "../helpers/matchers.js";
import { PROFILE_ARGS, rows, type Stack, startStack, textOf } from "../helpers/stack.js";
import { assertInvariants } from "../helpers/temp-ledger.js";

const LEAD = { name: "Dana Lee", title: "Practice Manager", company: "Acme Dental", location: "Austin, TX" };

/** Arguments that make a sensible call of each feature. */
const CALLS: Record<string, Record<string, unknown>> = {
  profile_draft: PROFILE_ARGS,
  context_author: {
    topic: "Acme refund policy",
    purpose: "answer customer emails about refunds",
    sources: [{ title: "Policy page", content: "Refunds within 30 days of purchase with a receipt." }],
  },
  context_refresh: {
    document: "## Summary\nRefunds are accepted within 14 days of purchase.",
    updates: ["The refund window is now 30 days."],
    retired: ["Refunds are accepted within 14 days of purchase."],
  },
  lead_enrichment: { lead: LEAD, raw_data: "Acme Dental opened a third clinic in March 2026 and is hiring two receptionists." },
  lead_qualify: { lead: LEAD, ideal_customer: "Dental practices with 2+ locations in Texas", criteria: ["multi-location"] },
  outreach_draft: { lead: LEAD, offer: "An AI receptionist that books appointments 24/7", tone: "friendly" },
  x_reply_draft: { post_text: "Our front desk spends half the day on the phone.", brand_voice: "Warm, practical, no hype. We build AI receptionists." },
  funnel_generate: {
    business: "AI receptionist for dental clinics",
    offer: "Monthly subscription, $299 per location",
    audience: "Practice managers of multi-location dental clinics",
    stages: 3,
  },
};

/** ceil(ceil(cost x 1e9 nano-USD) x 1.25 / 0.01 / 1000) micro-credits, as credits, from the cost's decimal text. */
function expectedCredits(costUsd: number): number {
  const [whole, fraction = ""] = String(costUsd).split(".");
  const nano = BigInt(whole!) * 1_000_000_000n + BigInt(fraction.padEnd(9, "0").slice(0, 9)) + (/[1-9]/.test(fraction.slice(9)) ? 1n : 0n);
  return Number((nano * 125n + 999n) / 1000n) / 1e6;
}

async function charged(stack: Stack, name: string, costUsd: number) {
  stack.sim.behave({ costUsd });
  const result = await stack.call(name, CALLS[name]);
  expect(result.isError, textOf(result)).toBeFalsy();
  return result.structuredContent as Record<string, unknown> & { metering: Record<string, unknown>; text: string };
}

describe("LLM features", () => {
  it("charges every drafting feature exactly, each with one provider request and one usage event", async () => {
    const stack = await startStack({ credits: "100" });
    const costs = [0.0001234567, 0.000987654, 0.0004321, 0.00271828, 0.00031415, 0.0000099, 0.0013579, 0.0024681];
    let balance = 100;
    for (const [i, name] of Object.keys(CALLS).entries()) {
      const out = await charged(stack, name, costs[i]!);
      const credits = expectedCredits(costs[i]!);
      balance = Number((balance - credits).toFixed(6));
      expect(out.metering, name).toMatchObject({ feature: name, provider: "openrouter", credits_charged: credits, balance_credits: balance });
      expect(out.text.length, name).toBeGreaterThan(0);
      const request = stack.sim.paidRequests().at(-1)!;
      const events = await stack.ledger.usageEventsOfCall(String(out.metering.tool_call_id));
      expect(
        events.map((e) => e.providerRequestId),
        name,
      ).toEqual([request.generationId]);
    }
    expect(stack.sim.paidRequests()).toHaveLength(Object.keys(CALLS).length);
    await assertInvariants(stack.ledger);
  });

  it("returns the structured fields each feature promises", async () => {
    const stack = await startStack({ credits: "100" });
    const qualify = await charged(stack, "lead_qualify", 0.001);
    expect(qualify.score).toEqual(expect.any(Number));
    expect(qualify.score as number).toBeGreaterThanOrEqual(0);
    expect(qualify.reasons).toEqual(expect.arrayContaining([expect.any(String)]));
    expect(["qualified", "nurture", "disqualified"]).toContain(qualify.verdict);
    const enrichment = await charged(stack, "lead_enrichment", 0.001);
    expect(enrichment.profile).toMatchObject({ company: match.any(Object), person: match.any(Object), confidence: match.any(String) });
    const funnel = await charged(stack, "funnel_generate", 0.001);
    expect((funnel.stages as object[]).length).toBeGreaterThanOrEqual(2);
    expect((funnel.stages as Record<string, unknown>[])[0]).toMatchObject({ headline: match.any(String), call_to_action: match.any(String) });
    const replies = await charged(stack, "x_reply_draft", 0.001);
    for (const reply of replies.replies as string[]) expect(reply.length).toBeLessThanOrEqual(280);
    const refresh = await charged(stack, "context_refresh", 0.001);
    expect(refresh.changes).toEqual(expect.any(Array));
    const outreach = await charged(stack, "outreach_draft", 0.001);
    expect(outreach).toMatchObject({ channel: "email", subject: match.any(String) });
    // JSON features asked the model for a JSON object; drafting features did not.
    const formats = stack.sim.paidRequests().map((r) => (r.body as { response_format?: { type: string } }).response_format?.type);
    expect(formats).toEqual(["json_object", "json_object", "json_object", "json_object", "json_object", "json_object"]);
    // Not an email: no subject field at all (optional in the schema), rather than a null one.
    const linkedin = (await stack.call("outreach_draft", { ...CALLS.outreach_draft, channel: "linkedin" })).structuredContent!;
    expect(linkedin).toMatchObject({ channel: "linkedin" });
    expect(linkedin).not.toHaveProperty("subject");
  });

  it("fails clearly on an unusable JSON answer and still charges the completion", async () => {
    const stack = await startStack({ credits: "10" });
    stack.sim.behave({ costUsd: 0.002, reply: "I think this lead is great, maybe 80?" });
    const result = await stack.call("lead_qualify", CALLS.lead_qualify);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^provider_error: the model's answer for lead_qualify was not the JSON this tool needs .* charged: 0\.25 credits/);
    expect(await stack.ledger.getWallet(stack.orgId)).toMatchObject({ balanceMicroCredits: 9_750_000n, heldMicroCredits: 0n });
    expect(await rows(stack, "SELECT state, error_code FROM tool_calls")).toEqual([{ state: "settled", error_code: "provider_error" }]);
    await assertInvariants(stack.ledger);
  });

  it("refuses a lead with neither name nor company before anything runs", async () => {
    const stack = await startStack();
    const result = await stack.call("lead_qualify", { lead: { title: "CEO" }, ideal_customer: "Dental practices in Texas" });
    expect(textOf(result)).toMatch(/^invalid_input: lead: a lead needs at least a name or a company/);
    expect(stack.sim.paidRequests()).toHaveLength(0);
  });
});

describe("context_pack_compile", () => {
  it("ranks with an embeddings request, compiles with a chat request, and charges both in one metering block", async () => {
    const stack = await startStack({ credits: "10" });
    stack.sim.behave({ costUsd: 0.0000123 }, { costUsd: 0.0012345 });
    const result = await stack.call("context_pack_compile", {
      goal: "Answer customer questions about dental appointment booking and cancellations",
      documents: [
        { title: "Company picnic", content: "The summer picnic is at the lake with games and barbecue." },
        { title: "Booking rules", content: "Appointment booking opens 30 days ahead; cancellations need 24 hours notice for dental appointments." },
        { title: "Parking", content: "Visitors park in lot B behind the building." },
      ],
      top_k: 2,
      token_budget: 500,
    });
    expect(result.isError, textOf(result)).toBeFalsy();
    const out = result.structuredContent as { selected: { title: string }[]; metering: Record<string, unknown> };
    expect(out.selected[0]!.title).toBe("Booking rules");
    expect(out.selected).toHaveLength(2);
    const paths = stack.sim.paidRequests().map((r) => r.path);
    expect(paths).toEqual(["/api/v1/embeddings", "/api/v1/chat/completions"]);
    expect((stack.sim.paidRequests()[1]!.body as { max_tokens: number }).max_tokens).toBe(500);
    const events = await stack.ledger.usageEventsOfCall(String(out.metering.tool_call_id));
    expect(events.map((e) => [e.model, e.costNanoUsd])).toEqual([
      ["openai/text-embedding-3-small", 12_300n],
      ["openai/gpt-4o-mini", 1_234_500n],
    ]);
    // 12,300 -> 1,538 micro-credits (1537.5 rounded up); 1,234,500 -> 154,313 (154,312.5 rounded up).
    expect(out.metering).toMatchObject({ cost_usd: 0.0012468, credits_charged: 0.155851 });
    await assertInvariants(stack.ledger);
  });
});

describe("worst-case holds", () => {
  const expensive = { ...PROFILE_ARGS, model: "openai/gpt-4o", max_tokens: 16_000 };

  it("holds the worst case (prompt bound x prompt price + max_tokens x completion price) x markup", async () => {
    const stack = await startStack({ credits: "50" });
    const result = await stack.call("profile_draft", expensive);
    expect(result.isError, textOf(result)).toBeFalsy();
    const [call] = (await rows(stack, "SELECT hold_micro_credits AS hold FROM tool_calls")) as { hold: bigint }[];
    // 16,000 completion tokens at $0.00001 = $0.16 -> x 1.25 / 0.01 = 20 credits, plus the prompt's bound.
    expect(call!.hold).toBeGreaterThan(20_000_000n);
    expect(call!.hold).toBeLessThan(21_000_000n);
    const [event] = await stack.ledger.recentUsage({ orgId: stack.orgId, limit: 1 });
    expect(event!.chargedMicroCredits).toBeLessThanOrEqual(call!.hold);
    expect(event!.priceUnknown).toBe(false);
  });

  it("lowers max_tokens to what the wallet can cover and says so", async () => {
    const stack = await startStack({ credits: "5" });
    const notes: string[] = [];
    const { LoggingMessageNotificationSchema } = await import("@modelcontextprotocol/sdk/types.js");
    stack.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void notes.push(String(n.params.data)));
    const result = await stack.call("profile_draft", expensive);
    expect(result.isError, textOf(result)).toBeFalsy();
    const sent = (stack.sim.paidRequests()[0]!.body as { max_tokens: number }).max_tokens;
    expect(sent).toBeLessThan(4_000); // $0.04 of completion at most
    expect(sent).toBeGreaterThan(3_000);
    expect(notes.join("\n")).toMatch(new RegExp(`max_tokens lowered from 16000 to ${sent}`));
    const [call] = (await rows(stack, "SELECT hold_micro_credits AS hold FROM tool_calls")) as { hold: bigint }[];
    expect(call!.hold).toBeLessThanOrEqual(5_000_000n);
    await assertInvariants(stack.ledger);
  });

  it("refuses when not even the minimum completion fits", async () => {
    const stack = await startStack({ credits: "0.05" });
    await stack.cli("rate-card", "set", "profile_draft", "--floor", "0.01");
    // 256 completion tokens of claude-sonnet-4 at $0.000015 = $0.00384 -> 0.48 credits: more than 0.05.
    const refused = await stack.call("profile_draft", { ...expensive, model: "anthropic/claude-sonnet-4" });
    expect(textOf(refused)).toMatch(/^insufficient_credits: profile_draft needs a hold of [\d.]+ credits, but organisation "e2e" has 0\.05 credits available/);
    expect(stack.sim.paidRequests()).toHaveLength(0);
    expect(await stack.ledger.openCalls()).toHaveLength(0);
  });

  it("keeps the price list in the ledger so a restart needs no network", async () => {
    const stack = await startStack({ credits: "50" });
    await stack.call("profile_draft", expensive);
    expect(stack.sim.requests.filter((r) => r.path.endsWith("/models"))).toHaveLength(1);
    stack.sim.defaults.modelsFailure = 503;
    await stack.restart();
    const again = await stack.call("profile_draft", expensive);
    expect(again.isError, textOf(again)).toBeFalsy();
    const holds = (await rows(stack, "SELECT hold_micro_credits AS hold FROM tool_calls ORDER BY created_at")) as { hold: bigint }[];
    expect(holds[1]!.hold).toBe(holds[0]!.hold);
    expect(stack.sim.requests.filter((r) => r.path.endsWith("/models"))).toHaveLength(1);
  });
});
