/**
 * Money coming in under concurrency, on both stores, with two server
 * instances on one ledger: a purchase event delivered a thousand times by
 * four senders grants once; 64 settles crossing the auto-recharge threshold
 * at once make one PaymentIntent (counted in Stripe's own log); an alert
 * crossed by many concurrent calls sends one webhook.
 */
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { callToolOverHttp } from "../helpers/http-stack.js";
import { grants, payOnPage, sendEvent, startPaymentsStack, waitFor, webhookReceiver } from "../helpers/payments.js";
import { assertInvariants, sqlRows } from "../helpers/store.js";

const LLM_ARGS = { business_name: "Acme", notes: "A bakery in Portland with sourdough bread and a friendly, warm tone." };

// Each test starts two or three processes and the simulators on a shared machine: generous timeouts, no timing assertions.
describe("payments under concurrency", { timeout: 180_000 }, () => {
  it("grants once when the same checkout.session.completed arrives 1,000 times from 4 senders at 2 instances", async () => {
    const stack = await startPaymentsStack();
    const second = await stack.another();
    stack.stripe.webhooks.url = null; // this test is the only sender
    const { url } = (await (await stack.post("/api/v1/credits/checkout", { pack: "starter" }, stack.keys.acme)).json()) as { url: string };
    expect((await payOnPage(url, "4242424242424242")).status).toBe(303);
    const completed = stack.stripe.events.find((e) => e.type === "checkout.session.completed")!;
    const instances = [stack.url, second.url];
    const statuses: number[] = [];
    await Promise.all(
      [0, 1, 2, 3].map(async (sender) => {
        for (let i = 0; i < 250; i++) statuses.push((await sendEvent(instances[(sender + i) % 2]!, completed, stack.stripe.webhookSecret)).status);
      }),
    );
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(statuses).toHaveLength(1000);
    expect(await stack.balance("acme")).toBe(1001);
    expect((await grants(stack)).filter((g) => g.ref !== null)).toHaveLength(1);
    expect(await sqlRows(stack.ledger, "SELECT id FROM stripe_events")).toEqual([{ id: completed.id }]);
    await assertInvariants(stack.ledger);
  });

  it("makes one off-session PaymentIntent when 64 settles cross the recharge threshold at once, and credits it once through the webhook", async () => {
    const stack = await startPaymentsStack();
    stack.providers.sim.defaults.costUsd = 0.05; // 6.25 credits a call at markup 1.25, $0.01 a credit
    const second = await stack.another();
    await stack.buy("acme", "starter");
    await waitFor(async () => (await sqlRows(stack.ledger, "SELECT 1 FROM stripe_customers WHERE payment_method_id IS NOT NULL")).length === 1, 20_000);
    await waitFor(async () => (await stack.balance("acme")) === 1001, 20_000);
    await stack.cli("recharge", "set", "--org", "acme", "--below", "1000", "--to", "2000", "--max-month-usd", "100");

    const outcomes = await Promise.all(
      Array.from({ length: 64 }, (_, i) =>
        callToolOverHttp(i % 2 ? second.url : stack.url, stack.keys.acme!, "profile_draft", { ...LLM_ARGS, notes: `${LLM_ARGS.notes} #${i}` }),
      ),
    );
    expect(outcomes.filter((o) => o.ok).length).toBeGreaterThan(32);
    await waitFor(() => stack.stripe.apiPaymentIntents().some((pi) => pi.status === "succeeded"), 20_000);
    await stack.stripe.settled();
    const [intent] = stack.stripe.apiPaymentIntents();
    await waitFor(async () => (await grants(stack)).some((g) => g.ref === intent!.id), 20_000);

    expect(stack.stripe.apiPaymentIntents()).toHaveLength(1);
    expect(stack.stripe.requests.filter((r) => r.method === "POST" && r.path === "/v1/payment_intents")).toHaveLength(1);
    const request = stack.stripe.requests.find((r) => r.path === "/v1/payment_intents")!;
    expect(request.body).toMatchObject({ off_session: "true", confirm: "true", currency: "usd", metadata: { org_id: stack.orgIds.acme } });
    expect(request.idempotencyKey).toContain(stack.orgIds.acme);
    const recharged = (await grants(stack)).filter((g) => g.ref === intent!.id);
    expect(recharged).toHaveLength(1);
    // Bought what took the balance back to the target when the crossing was processed, rounded up to whole cents: every cent paid is credited.
    expect(Math.round(recharged[0]!.amount * 1e6)).toBe(Number(intent!.amount) * 1e6);
    expect(recharged[0]!.note).toContain(intent!.id);
    await assertInvariants(stack.ledger);
  });

  it("sends one balance.low webhook when many concurrent calls cross the level, signed as Standard Webhooks says", async () => {
    const stack = await startPaymentsStack({ orgs: { acme: "100" } });
    stack.providers.sim.defaults.costUsd = 0.05;
    const second = await stack.another();
    const receiver = await webhookReceiver();
    const added = JSON.parse((await stack.cli("webhook", "add", "--org", "acme", "--url", receiver.url, "--json")).stdout) as { id: string; secret: string };
    expect(added.secret).toMatch(/^whsec_/);

    // 14 calls of 6.25 credits take 100 to 12.5: under 20% of the last top-up (20), above 5%.
    const outcomes = await Promise.all(
      Array.from({ length: 14 }, (_, i) =>
        callToolOverHttp(i % 2 ? second.url : stack.url, stack.keys.acme!, "profile_draft", { ...LLM_ARGS, notes: `${LLM_ARGS.notes} #${i}` }),
      ),
    );
    expect(outcomes.every((o) => o.ok)).toBe(true);
    await waitFor(() => receiver.received.some((r) => r.body.includes("balance.low")), 20_000);
    // Let every instance's background pass run at least once more before counting.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const lows = receiver.received.filter((r) => (JSON.parse(r.body) as { type: string }).type === "balance.low");
    expect(lows).toHaveLength(1);
    const body = new Webhook(added.secret).verify(lows[0]!.body, {
      "webhook-id": lows[0]!.id,
      "webhook-timestamp": lows[0]!.timestamp,
      "webhook-signature": lows[0]!.signature,
    });
    expect(body).toMatchObject({ type: "balance.low", data: { org_id: stack.orgIds.acme, threshold_pct: 20, threshold_credits: 20, last_topup_credits: 100 } });
    expect(JSON.parse(lows[0]!.body)).toHaveProperty("timestamp");
    expect(receiver.received.filter((r) => r.body.includes("balance.depleted"))).toEqual([]);

    const listed = JSON.parse((await stack.cli("alerts", "--org", "acme", "--json")).stdout) as { type: string }[];
    expect(listed.map((a) => a.type)).toEqual(["balance.low"]);
  });
});
