/**
 * The `stripe` package, wrapped: the protocol is Stripe's code, the money
 * rules are ours. ECN_STRIPE_BASE_URL points it elsewhere (the simulator in
 * tests, the demo and the sandbox); it retries connection failures and 409s
 * and 5xx twice, with an idempotency key on every POST, as Stripe advises.
 */
import Stripe from "stripe";

export type StripeClient = Stripe;
export { Stripe };

export function createStripeClient(options: { secretKey: string; baseUrl: string }): Stripe {
  const base = new URL(options.baseUrl);
  const protocol = base.protocol === "http:" ? "http" : "https";
  return new Stripe(options.secretKey, {
    host: base.hostname,
    port: Number(base.port || (protocol === "http" ? 80 : 443)),
    protocol,
    maxNetworkRetries: 2,
    timeout: 20_000,
    appInfo: { name: "ecn-mcp" },
  });
}

/** Verifies a webhook's signature on its raw body (Stripe's default tolerance: 300 s); the event, or throws. */
export function verifyStripeEvent(raw: Buffer, signature: string | undefined, secret: string): Stripe.Event {
  return Stripe.webhooks.constructEvent(raw, signature ?? "", secret);
}

/** Stripe's message for a failed API call, without anything secret. */
export function stripeFailure(error: unknown): { message: string; cardError: { code: string; message: string; paymentIntent: string | null } | null } {
  if (error instanceof Stripe.errors.StripeCardError) {
    const raw = error.raw as { payment_intent?: { id?: string } };
    return {
      message: error.message,
      cardError: { code: error.code ?? "card_declined", message: error.message, paymentIntent: raw.payment_intent?.id ?? null },
    };
  }
  if (error instanceof Stripe.errors.StripeError) return { message: `${error.type}: ${error.message}`, cardError: null };
  return { message: error instanceof Error ? error.message : String(error), cardError: null };
}
