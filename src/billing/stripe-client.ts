/**
 * The `stripe` package, wrapped: the protocol is Stripe's code, the money
 * rules are ours. ECN_STRIPE_BASE_URL points it elsewhere (the simulator in
 * tests, the demo and the sandbox); it retries connection failures and 409s
 * and 5xx twice, with an idempotency key on every POST, as Stripe advises.
 */
import Stripe from "stripe";
import { providerFault, type ProviderReport } from "../errors.js";

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

export interface StripeFailure {
  /** Our words (what failed, Stripe's HTTP status and error code, a reference): what an organisation may be shown. */
  message: string;
  /** Stripe's own words, filed under the reference: for the operator's log only. */
  report: ProviderReport;
  status: number | undefined;
  /** A declined card: its code (card_declined, ...) and the PaymentIntent it left, if any. */
  cardError: { code: string; paymentIntent: string | null } | null;
}

/** A failed Stripe call in our words; Stripe's text goes only into the report (it is never shown to an organisation). */
export function stripeFailure(what: string, error: unknown): StripeFailure {
  const said = error instanceof Error ? error.message : String(error);
  if (error instanceof Stripe.errors.StripeError) {
    const status = error.statusCode;
    const fault = providerFault("stripe", what, { status, kind: error.code ?? error.type }, said);
    const raw = error.raw as { payment_intent?: { id?: string } };
    const cardError =
      error instanceof Stripe.errors.StripeCardError ? { code: error.code ?? "card_declined", paymentIntent: raw.payment_intent?.id ?? null } : null;
    return { ...fault, status, cardError };
  }
  return { ...providerFault("stripe", what, {}, said), status: undefined, cardError: null };
}
