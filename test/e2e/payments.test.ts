/**
 * Buying credits end to end, on both stores: the real `stripe` package
 * against the Stripe simulator, a person paying on the simulator's page,
 * Stripe's signed webhook granting once, refunds and lost disputes taking
 * the credits back, and every kind of bad webhook refused with nothing
 * written.
 */
import { describe, expect, it } from "vitest";
import { callToolOverHttp } from "../helpers/http-stack.js";
import { grants, payOnPage, sendEvent, startPaymentsStack, waitFor } from "../helpers/payments.js";
import { assertInvariants, sqlRows } from "../helpers/store.js";

/** A tool call's result as the MCP client sees it (Streamable HTTP, stateless). */
async function toolResult(url: string, key: string, name: string, args: Record<string, unknown>) {
  const response = await fetch(`${url}/mcp`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } }),
  });
  const line = (await response.text()).split("\n").find((l) => l.startsWith("data: "))!;
  return (JSON.parse(line.slice(6)) as { result: { isError?: boolean; content: { text: string }[]; structuredContent?: Record<string, unknown> } }).result;
}

const LLM_ARGS = { business_name: "Acme", notes: "A bakery in Portland with sourdough bread and a friendly, warm tone." };

describe("buying credits through Stripe Checkout", { timeout: 120_000 }, () => {
  it("grants the pack once Stripe says paid, names the session and payment in the grant, and saves the card on the organisation's customer", async () => {
    const stack = await startPaymentsStack();
    const key = stack.keys.acme!;
    const checkout = await stack.post("/api/v1/credits/checkout", { pack: "starter" }, key);
    expect(checkout.status).toBe(200);
    const { url, session_id } = (await checkout.json()) as { url: string; session_id: string };
    expect(url.startsWith(stack.stripe.baseUrl)).toBe(true);
    expect(session_id).toMatch(/^cs_test_/);

    // What reached Stripe: a customer for the organisation, then the session, form-encoded, each with an idempotency key.
    const created = stack.stripe.requests.filter((r) => r.method === "POST");
    expect(created.map((r) => r.path)).toEqual(["/v1/customers", "/v1/checkout/sessions"]);
    expect(created.every((r) => r.idempotencyKey)).toBe(true);
    expect(created[1]!.body).toMatchObject({
      mode: "payment",
      customer: expect.stringMatching(/^cus_/) as string,
      metadata: { org_id: stack.orgIds.acme },
      line_items: [{ quantity: "1", price_data: { currency: "usd", unit_amount: "1000" } }],
      payment_intent_data: { setup_future_usage: "off_session" },
    });
    expect(await stack.balance("acme")).toBe(1); // nothing before Stripe says paid

    const declined = await payOnPage(url, "4000000000000002");
    expect(declined.status).toBe(402);
    expect(await declined.text()).toContain("Your card was declined.");
    const paid = await payOnPage(url, "4242424242424242");
    expect(paid.status).toBe(303);
    expect(paid.headers.get("location")).toContain(`session_id=${session_id}`);
    expect(paid.headers.get("location")).toContain(`/dashboard/?checkout=success`);

    await waitFor(async () => (await stack.balance("acme")) === 1001, 20_000);
    await stack.stripe.settled();
    const session = stack.stripe.state.sessions.get(session_id)!;
    const purchase = (await grants(stack)).filter((g) => g.ref !== null);
    expect(purchase).toEqual([{ amount: 1000, ref: session_id, note: expect.stringContaining(String(session.payment_intent)) as string }]);
    expect(purchase[0]!.note).toContain(session_id);
    const [customer] = await sqlRows(stack.ledger, "SELECT customer_id, payment_method_id FROM stripe_customers");
    expect(customer).toMatchObject({ customer_id: session.customer, payment_method_id: expect.stringMatching(/^pm_/) as string });

    // The same completed event again, and again: acknowledged, nothing more granted.
    const completed = stack.stripe.events.find((e) => e.type === "checkout.session.completed")!;
    for (let i = 0; i < 3; i++) expect((await sendEvent(stack.url, completed, stack.stripe.webhookSecret)).status).toBe(200);
    expect(await stack.balance("acme")).toBe(1001);

    // The wallet shows it; the REST answer and the ledger agree.
    expect(await (await stack.get("/api/v1/credits/wallet/", key)).json()).toMatchObject({ balance_credits: 1001 });
    await assertInvariants(stack.ledger);
  });

  it("grants a bank debit only when it clears (async_payment_succeeded), once", async () => {
    const stack = await startPaymentsStack();
    const checkout = (await (await stack.post("/api/v1/credits/checkout", {}, stack.keys.acme)).json()) as { url: string; session_id: string; pack: string };
    expect(checkout.pack).toBe("starter"); // the smallest pack when none is named
    expect((await payOnPage(checkout.url, "", "bank")).status).toBe(303);
    await stack.stripe.settled();
    expect(await stack.balance("acme")).toBe(1);
    stack.stripe.asyncPaymentSucceeded(checkout.session_id);
    await waitFor(async () => (await stack.balance("acme")) === 1001, 20_000);
    await stack.stripe.settled();
    expect((await grants(stack)).filter((g) => g.ref === checkout.session_id)).toHaveLength(1);
  });

  it("takes the credits back on a refund and a lost dispute, lets the balance go below zero, and then refuses paid calls as for an empty wallet", async () => {
    const stack = await startPaymentsStack();
    const session = await stack.buy("acme", "starter");
    await waitFor(async () => (await stack.balance("acme")) === 1001, 20_000);
    // Spend a little of it.
    expect(await callToolOverHttp(stack.url, stack.keys.acme!, "profile_draft", LLM_ARGS)).toMatchObject({ ok: true });
    const afterSpend = await stack.balance("acme");
    expect(afterSpend).toBeLessThan(1001);

    const { default: Stripe } = await import("stripe");
    const stripe = new Stripe(stack.stripe.secretKey, { host: "127.0.0.1", port: Number(new URL(stack.stripe.baseUrl).port), protocol: "http" });
    const pi = String(stack.stripe.state.sessions.get(session)!.payment_intent);
    await stripe.refunds.create({ payment_intent: pi, amount: 400 }); // $4 of $10: 400 credits back
    await waitFor(async () => (await stack.balance("acme")) === afterSpend - 400, 20_000);
    stack.stripe.dispute(pi, "lost"); // the other $6
    await waitFor(async () => (await stack.balance("acme")) < 1, 20_000);
    await stack.stripe.settled();
    expect(await stack.balance("acme")).toBeCloseTo(afterSpend - 1000, 6);
    const adjustments = await sqlRows(
      stack.ledger,
      "SELECT amount_micro_credits AS a, note FROM credit_transactions WHERE kind = 'adjustment' ORDER BY created_at",
    );
    expect(adjustments.map((r) => Number(r.a as bigint) / 1e6)).toEqual([-400, -600]);
    expect(String(adjustments[1]!.note)).toContain("dispute lost");

    // Replaying the refund event changes nothing: the amount it reports was already taken back.
    const refunded = stack.stripe.events.find((e) => e.type === "charge.refunded")!;
    expect((await sendEvent(stack.url, { ...refunded, id: "evt_replayed_refund" }, stack.stripe.webhookSecret)).status).toBe(200);
    expect(await stack.balance("acme")).toBeCloseTo(afterSpend - 1000, 6);

    const refused = await toolResult(stack.url, stack.keys.acme!, "profile_draft", LLM_ARGS);
    expect(refused.isError).toBe(true);
    // Payments are configured: the refusal says how to buy credits rather than only how an operator grants them.
    expect(refused.content[0]!.text).toMatch(/^insufficient_credits: .*buy_credits tool returns a checkout link/);

    // The agent does so: a checkout link for a person, the smallest pack by default; nothing granted until paid.
    const bought = await toolResult(stack.url, stack.keys.acme!, "buy_credits", {});
    expect(bought.structuredContent).toMatchObject({ pack: "starter", credits: 1000, usd: 10, url: expect.stringMatching(/\/c\/pay\/cs_test_/) as string });
    const unknownPack = await toolResult(stack.url, stack.keys.acme!, "buy_credits", { pack: "gold" });
    expect(unknownPack.content[0]!.text).toMatch(/^invalid_input: no credit pack named "gold"; packs for sale: starter/);
    await assertInvariants(stack.ledger);
  });
});

describe("Stripe webhooks that must change nothing", { timeout: 120_000 }, () => {
  it("refuses unsigned, forged, stale and unknown events with 400 and grants nothing", async () => {
    const stack = await startPaymentsStack();
    stack.stripe.webhooks.url = null; // nothing reaches the server but what this test sends
    const { url: payUrl } = (await (await stack.post("/api/v1/credits/checkout", { pack: "starter" }, stack.keys.acme)).json()) as { url: string };
    expect((await payOnPage(payUrl, "4242424242424242")).status).toBe(303);
    const completed = stack.stripe.events.find((e) => e.type === "checkout.session.completed")!;
    const hook = `${stack.url}/api/v1/stripe/webhook`;

    const unsigned = await fetch(hook, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(completed) });
    expect(unsigned.status).toBe(400);
    expect(((await unsigned.json()) as { error: { code: string } }).error.code).toBe("invalid_signature");
    expect((await sendEvent(stack.url, completed, "whsec_not_the_secret")).status).toBe(400);
    expect((await sendEvent(stack.url, completed, stack.stripe.webhookSecret, 3_600)).status).toBe(400); // an old delivery replayed
    // Signed, but the body was changed after signing (the amount is what an attacker would touch).
    const payload = JSON.stringify(completed, null, 2);
    const { stripeSignature } = await import("../../src/simulator/stripe.js");
    const tampered = await fetch(hook, {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": stripeSignature(stack.stripe.webhookSecret, payload, Math.floor(Date.now() / 1000)) },
      body: payload.replace('"amount_total": 1000', '"amount_total": 100000'),
    });
    expect(tampered.status).toBe(400);
    // Correctly signed, for a session this ledger never started.
    const stranger = structuredClone(completed);
    stranger.id = "evt_stranger";
    Object.assign(stranger.data.object, { id: "cs_test_unknown", client_reference_id: "chk_unknown" });
    const unknown = await sendEvent(stack.url, stranger, stack.stripe.webhookSecret);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("not_found");

    expect(await stack.balance("acme")).toBe(1);
    expect((await grants(stack)).filter((g) => g.ref !== null)).toEqual([]);
    expect(await sqlRows(stack.ledger, "SELECT id FROM stripe_events")).toEqual([]);
    // The genuine event still grants afterwards: the refused ones did not burn its id.
    expect((await sendEvent(stack.url, completed, stack.stripe.webhookSecret)).status).toBe(200);
    expect(await stack.balance("acme")).toBe(1001);
  });
});
