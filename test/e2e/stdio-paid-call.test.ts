/**
 * The first paid tool end to end: the built server over stdio, the real MCP
 * Client, the OpenRouter simulator on loopback, the real ledger file.
 */
import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { match } from "../helpers/matchers.js";
import { assertInvariants } from "../helpers/temp-ledger.js";
import { PROFILE_ARGS, rows, startStack, textOf } from "../helpers/stack.js";

describe("stdio server: tools and listing", () => {
  it("lists the tools with input and output schemas and annotations", async () => {
    const { client } = await startStack();
    const { tools } = await client.listTools();
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(Object.keys(byName)).toEqual(expect.arrayContaining(["get_wallet_balance", "get_rate_card", "profile_draft"]));
    const profile = byName.profile_draft!;
    expect(profile.annotations).toMatchObject({ openWorldHint: true, idempotentHint: false });
    expect(byName.get_wallet_balance!.annotations).toMatchObject({ readOnlyHint: true });
    expect(profile.inputSchema.required).toEqual(expect.arrayContaining(["business_name", "notes"]));
    expect(Object.keys(profile.inputSchema.properties ?? {})).toEqual(expect.arrayContaining(["model", "max_tokens", "idempotency_key"]));
    expect(profile.outputSchema?.properties).toHaveProperty("metering");
  });

  it("is ready for a connector directory: every tool has a title, an icon and the annotations of what it does; so does the server", async () => {
    const { client } = await startStack();
    const { tools } = await client.listTools();
    const free = new Set(["get_wallet_balance", "get_rate_card", "get_usage", "permit_search"]);
    for (const tool of tools) {
      expect(tool.title, tool.name).toMatch(/\S/);
      expect(tool.annotations?.title, tool.name).toBe(tool.title);
      expect(tool.icons?.[0], tool.name).toMatchObject({ src: match.stringMatching(/^data:image\/svg\+xml;base64,/), mimeType: "image/svg+xml" });
      if (free.has(tool.name)) expect(tool.annotations, tool.name).toMatchObject({ readOnlyHint: true });
      // buy_credits only hands out a Checkout link: nothing is spent until a person pays on Stripe's page.
      else if (tool.name === "buy_credits")
        expect(tool.annotations, tool.name).toMatchObject({ readOnlyHint: false, destructiveHint: false, openWorldHint: true });
      else expect(tool.annotations, tool.name).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true });
    }
    expect(tools.filter((t) => !free.has(t.name) && t.name !== "buy_credits")).toHaveLength(10);
    expect(client.getServerVersion()).toMatchObject({ name: "ecn-mcp", icons: [{ mimeType: "image/svg+xml" }] });
  });

  it("answers get_wallet_balance and get_rate_card with the documented fields", async () => {
    const { call, orgId } = await startStack({ credits: "12.5" });
    const wallet = await call("get_wallet_balance");
    expect(wallet.structuredContent).toEqual({
      org_id: orgId,
      balance_credits: 12.5,
      held_credits: 0,
      available_credits: 12.5,
      credit_usd_value: 0.01,
      deployment_mode: "hosted",
    });
    const card = (await call("get_rate_card")).structuredContent as { rate_cards: { feature: string }[]; markup: number };
    expect(card.markup).toBe(1.25);
    expect(card.rate_cards).toHaveLength(10);
    expect(card.rate_cards.find((c) => c.feature === "profile_draft")).toEqual({
      feature: "profile_draft",
      provider: "openrouter",
      model: "openai/gpt-4o-mini",
      max_tokens: 1200,
      floor_credits: 1,
      description: match.any(String),
    });
  });
});

describe("profile_draft: charging", () => {
  it("charges exactly ceil(cost x markup / credit value) for an odd provider cost", async () => {
    const stack = await startStack({ credits: "10" });
    stack.sim.behave({ costUsd: 0.0001234567 });
    const result = await stack.call("profile_draft", PROFILE_ARGS);
    expect(result.isError).toBeFalsy();
    const out = result.structuredContent as { text: string; model: string; metering: Record<string, unknown> };
    // 0.0001234567 USD -> 123457 nano-USD (rounded up); x 1.25 / 0.01 -> 15432.125 -> 15433 micro-credits.
    expect(out.metering).toMatchObject({
      feature: "profile_draft",
      provider: "openrouter",
      cost_usd: 0.000123457,
      credits_charged: 0.015433,
      balance_credits: 9.984567,
    });
    expect(out.text).toContain("Northwind Roofing");
    expect(out.model).toBe("openai/gpt-4o-mini");

    const [request] = stack.sim.paidRequests();
    expect(stack.sim.paidRequests()).toHaveLength(1);
    const body = request!.body as { model: string; max_tokens: number; messages: { role: string; content: string }[] };
    expect(body.model).toBe("openai/gpt-4o-mini");
    expect(body.max_tokens).toBe(1200);
    expect(body.messages[0]!.content).toContain("## Offer");
    expect(request!.authorization).toBe(`Bearer ${stack.sim.apiKey}`);

    const events = await stack.ledger.usageEventsOfCall(String(out.metering.tool_call_id));
    expect(events).toEqual([
      expect.objectContaining({
        providerRequestId: request!.generationId,
        costNanoUsd: 123_457n,
        chargedMicroCredits: 15_433n,
        markup: "1.25",
        outcome: "ok",
        overHold: false,
      }),
    ]);
    expect(await stack.ledger.getWallet(stack.orgId)).toEqual({
      orgId: stack.orgId,
      balanceMicroCredits: 9_984_567n,
      heldMicroCredits: 0n,
    });
    await assertInvariants(stack.ledger);
  });

  it("honours model and max_tokens overrides and prices them from the provider's report", async () => {
    const stack = await startStack();
    const result = await stack.call("profile_draft", { ...PROFILE_ARGS, model: "openai/gpt-4o", max_tokens: 64 });
    expect(result.isError).toBeFalsy();
    const body = stack.sim.paidRequests()[0]!.body as { model: string; max_tokens: number };
    expect(body).toMatchObject({ model: "openai/gpt-4o", max_tokens: 64 });
    const billed = stack.sim.paidRequests()[0]!.billedUsd;
    const metering = (result.structuredContent as { metering: { cost_usd: number; credits_charged: number } }).metering;
    expect(metering.cost_usd).toBe(billed);
    expect(metering.credits_charged).toBeCloseTo((billed * 1.25) / 0.01, 6);
    await assertInvariants(stack.ledger);
  });

  it("prices from the generation endpoint when the response carries no cost", async () => {
    const stack = await startStack();
    stack.sim.defaults.generationLagMs = 300; // the endpoint answers 404 at first
    stack.sim.behave({ costUsd: 0.002, omitCost: true });
    const result = await stack.call("profile_draft", PROFILE_ARGS);
    expect(result.isError).toBeFalsy();
    expect((result.structuredContent as { metering: object }).metering).toMatchObject({ cost_usd: 0.002, credits_charged: 0.25 });
    const lookups = stack.sim.requests.filter((r) => r.path.endsWith("/generation"));
    expect(lookups.length).toBeGreaterThanOrEqual(2);
    expect(lookups.at(-1)!.status).toBe(200);
    const [event] = await stack.ledger.recentUsage({ orgId: stack.orgId, limit: 5 });
    expect(event).toMatchObject({ costSource: "lookup", costNanoUsd: 2_000_000n, chargedMicroCredits: 250_000n });
    await assertInvariants(stack.ledger);
  });

  it("charges the full cost above the hold and flags it over_hold", async () => {
    const stack = await startStack({ credits: "3" });
    stack.sim.behave({ costUsd: 0.02 }); // 2.5 credits against a 1-credit hold
    const result = await stack.call("profile_draft", PROFILE_ARGS);
    expect((result.structuredContent as { metering: object }).metering).toMatchObject({ credits_charged: 2.5, balance_credits: 0.5 });
    const [event] = await stack.ledger.recentUsage({ orgId: stack.orgId, limit: 1 });
    expect(event?.overHold).toBe(true);
    await assertInvariants(stack.ledger);
  });

  it("charges 0 credits in self_host mode but records the cost", async () => {
    const stack = await startStack({ credits: "0", env: { ECN_DEPLOYMENT_MODE: "self_host" } });
    stack.sim.behave({ costUsd: 0.004 });
    const result = await stack.call("profile_draft", PROFILE_ARGS);
    expect(result.isError).toBeFalsy();
    expect((result.structuredContent as { metering: object }).metering).toMatchObject({ cost_usd: 0.004, credits_charged: 0, balance_credits: 0 });
    const [event] = await stack.ledger.recentUsage({ orgId: stack.orgId, limit: 1 });
    expect(event).toMatchObject({ costNanoUsd: 4_000_000n, chargedMicroCredits: 0n, meteredMicroCredits: 400_000n });
    expect((await rows(stack, "SELECT count(*) AS n FROM credit_transactions WHERE kind = 'spend'"))[0]).toEqual({ n: 0n });
    await assertInvariants(stack.ledger);
  });
});

describe("profile_draft: idempotency and budgets", () => {
  it("replays a repeated idempotency key without a second request or charge, and refuses other arguments", async () => {
    const stack = await startStack();
    const args = { ...PROFILE_ARGS, idempotency_key: "draft-2026-11-27" };
    const first = await stack.call("profile_draft", args);
    const second = await stack.call("profile_draft", args);
    expect(second.structuredContent).toEqual(first.structuredContent);
    expect(stack.sim.paidRequests()).toHaveLength(1);
    const conflict = await stack.call("profile_draft", { ...args, notes: PROFILE_ARGS.notes + " Also gutters." });
    expect(conflict.isError).toBe(true);
    expect(textOf(conflict)).toMatch(/^idempotency_conflict: /);
    expect(stack.sim.paidRequests()).toHaveLength(1);
    expect((await rows(stack, "SELECT count(*) AS n FROM credit_transactions WHERE kind = 'spend'"))[0]).toEqual({ n: 1n });
    await assertInvariants(stack.ledger);
  });

  it("refuses a call over a hard budget before any provider request, naming the budget", async () => {
    const stack = await startStack({ credits: "10" });
    await stack.cli("budget", "set", "--org", "e2e", "--feature", "profile_draft", "--period", "day", "--credits", "0.5");
    const result = await stack.call("profile_draft", PROFILE_ARGS);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^budget_exceeded: the hard daily budget for profile_draft \(limit 0\.5 credits\) has 0\.5 credits left/);
    expect(stack.sim.paidRequests()).toHaveLength(0);
    expect(await stack.ledger.openCalls()).toHaveLength(0);
  });

  it("sends one MCP logging notification when a soft budget is crossed, and still runs", async () => {
    const stack = await startStack({ credits: "10" });
    await stack.cli("budget", "set", "--org", "e2e", "--period", "month", "--credits", "0.5", "--soft");
    const warnings: string[] = [];
    stack.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void warnings.push(String(n.params.data)));
    await stack.call("profile_draft", PROFILE_ARGS); // its 1-credit hold crosses the 0.5 limit
    await stack.call("profile_draft", PROFILE_ARGS); // already noticed this period
    await stack.call("profile_draft", PROFILE_ARGS);
    expect(stack.sim.paidRequests()).toHaveLength(3);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/soft monthly budget for all features .* is crossed/);
  });
});
