/**
 * Fuzzing tool inputs over stdio: arbitrary JSON and mutated valid arguments,
 * with edge-case strings. Every call the schema refuses must answer
 * `invalid_input`, reach no provider, write no ledger row, and leave the
 * server answering.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TOOLS } from "../../src/tools/index.js";
import { countRows, PROFILE_ARGS, startStack, textOf, type Stack } from "../helpers/stack.js";

const RUNS = Number(process.env.ECN_FUZZ_RUNS ?? 100);

/** A valid call of each tool, for mutation. */
const VALID: Record<string, Record<string, unknown>> = {
  get_wallet_balance: {},
  get_rate_card: {},
  get_usage: { limit: 5 },
  buy_credits: { pack: "starter" },
  profile_draft: PROFILE_ARGS,
  context_author: { topic: "Refunds", purpose: "answer refund emails", sources: [{ title: "Policy", content: "30 days." }] },
  context_refresh: { document: "## Summary\nRefunds within 14 days.", updates: ["Now 30 days."] },
  context_pack_compile: { goal: "answer booking questions", documents: [{ title: "Booking", content: "Book 30 days ahead." }] },
  lead_enrichment: { lead: { company: "Acme" } },
  lead_qualify: { lead: { company: "Acme" }, ideal_customer: "Dental practices in Texas" },
  outreach_draft: { lead: { name: "Dana" }, offer: "An AI receptionist for clinics" },
  x_reply_draft: { post_text: "Phones ring all day", brand_voice: "Warm and practical" },
  funnel_generate: { business: "AI receptionist", offer: "Monthly plan $299", audience: "Practice managers" },
  lead_signal_fetch: { query: "dentists Austin" },
  permit_search: { city: "chicago" },
};

const edgeString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("", " ", "\u0000", "\ud800", "💸".repeat(50), "'; DROP TABLE usage_events; --", "x".repeat(70_000), "NaN", "-1", "__proto__"),
);
const edgeValue: fc.Arbitrary<unknown> = fc.oneof(
  edgeString,
  fc.constantFrom(null, true, false, 0, -1, 1e308, -0, 1.5, Number.MAX_SAFE_INTEGER + 2),
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(edgeString, { maxLength: 60 }),
);

/** A valid argument set with one field dropped, replaced, or added. */
function mutated(valid: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> {
  const fields = Object.keys(valid);
  const replace = fields.length
    ? fc.tuple(fc.constantFrom(...fields), edgeValue).map(([field, value]) => ({ ...valid, [field]: value }))
    : fc.constant({ ...valid, surprise: 1 });
  const drop = fields.length
    ? fc.constantFrom(...fields).map((field) => Object.fromEntries(Object.entries(valid).filter(([k]) => k !== field)))
    : fc.constant({ x: 1 });
  const add = fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), edgeValue).map(([field, value]) => ({ ...valid, [field]: value }));
  return fc.oneof(replace, drop, add);
}

async function sideEffects(stack: Stack) {
  return {
    provider: stack.sim.requests.filter((r) => r.paid).length + stack.apify.requests.length + stack.socrata.requests.length,
    calls: await countRows(stack, "tool_calls"),
    queries: await countRows(stack, "data_query_log"),
    transactions: await countRows(stack, "credit_transactions"),
  };
}

describe("fuzzing tool inputs", () => {
  it("refuses every malformed call with invalid_input and no side effect; the server keeps answering", async () => {
    const stack = await startStack({ credits: "50" });
    let refused = 0;
    for (const tool of TOOLS) {
      const valid = VALID[tool.name]!;
      const args = fc.oneof(mutated(valid), fc.dictionary(fc.string({ maxLength: 12 }), edgeValue, { maxKeys: 6 }));
      await fc.assert(
        fc.asyncProperty(args, async (input) => {
          if (tool.input.safeParse(input).success) return; // a valid call: not this test's business
          const before = await sideEffects(stack);
          const result = await stack.call(tool.name, input);
          expect(result.isError, `${tool.name} ${JSON.stringify(input).slice(0, 200)}`).toBe(true);
          expect(textOf(result)).toMatch(/^invalid_input: /);
          expect(result.structuredContent).toBeUndefined();
          expect(await sideEffects(stack)).toEqual(before);
          refused++;
        }),
        { numRuns: RUNS },
      );
    }
    expect(refused).toBeGreaterThan(TOOLS.length * RUNS * 0.5);
    const wallet = await stack.call("get_wallet_balance");
    expect(wallet.structuredContent).toMatchObject({ balance_credits: 50, held_credits: 0 });
  });
});
