/**
 * What Stripe says when it refuses is provider text: an organisation sees our
 * words (what failed, Stripe's HTTP status and error code, a reference), and
 * Stripe's own message goes only into the report the operator's log keeps
 * under that reference (the logger redacts it there).
 */
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { stripeFailure } from "../../src/billing/stripe-client.js";

const SECRET = "sk_test_stripefailure0123456789abcdef";

describe("a failed Stripe call", () => {
  it("is told in our words with Stripe's status, code and a reference; Stripe's text only in the report", () => {
    const error = new Stripe.errors.StripeInvalidRequestError({
      type: "invalid_request_error",
      code: "resource_missing",
      statusCode: 400,
      message: `No such customer: 'cus_gone'; key ${SECRET} <script>`,
    });
    const failure = stripeFailure("Stripe could not start the checkout", error);
    expect(failure.message).toMatch(/^Stripe could not start the checkout \(HTTP 400, resource_missing; reference perr_[0-9a-f]{8}\)$/);
    expect(failure.report).toMatchObject({ provider: "stripe", said: expect.stringContaining("No such customer") as string });
    expect(failure.message).toContain(failure.report.reference);
    expect(failure.message).not.toContain(SECRET);
    expect(failure.cardError).toBeNull();
  });

  it("keeps a declined card's code and PaymentIntent for the recharge, not its message", () => {
    const error = new Stripe.errors.StripeCardError({
      type: "card_error",
      code: "card_declined",
      decline_code: "generic_decline",
      statusCode: 402,
      message: "Your card was declined.",
      payment_intent: { id: "pi_declined" } as Stripe.PaymentIntent,
    });
    const failure = stripeFailure("Stripe declined the off-session charge", error);
    expect(failure.cardError).toEqual({ code: "card_declined", paymentIntent: "pi_declined" });
    expect(failure.message).not.toContain("Your card");
    expect(failure.status).toBe(402);
  });

  it("names no Stripe code it cannot vouch for: a network failure is ours alone", () => {
    const failure = stripeFailure("Stripe could not start the checkout", new Error("connect ECONNREFUSED 127.0.0.1:9"));
    expect(failure.message).toMatch(/^Stripe could not start the checkout \(reference perr_[0-9a-f]{8}\)$/);
    expect(failure.report.said).toContain("ECONNREFUSED");
  });
});
