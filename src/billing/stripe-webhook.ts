/**
 * Stripe's webhook: the signature checked on the raw body with the `stripe`
 * package (and its 300-second timestamp tolerance), the event turned into
 * what the ledger applies, once. Credits only after Stripe says paid:
 * `checkout.session.completed` with payment_status "paid", or
 * `checkout.session.async_payment_succeeded`; a recharge's
 * `payment_intent.succeeded`. A refund or a lost dispute claws back.
 *
 * Answers: 200 when applied, already applied, or of a type we do not use;
 * 400 when unsigned, wrongly signed, stale, malformed, or naming a purchase
 * this ledger does not know (nothing is written, and Stripe retries, which
 * also covers a refund that overtook its purchase); 503 when the ledger
 * cannot take it now (Stripe retries).
 */
import type Stripe from "stripe";
import { providerFault, type ProviderReport } from "../errors.js";
import { LedgerRefusal, storageFailure, type Ledger, type StripeCommand } from "../ledger/index.js";
import type { Logger } from "../log.js";
import { verifyStripeEvent } from "./stripe-client.js";

export interface WebhookAnswer {
  status: number;
  body: Record<string, unknown>;
}

const refused = (status: number, code: string, message: string): WebhookAnswer => ({ status, body: { error: { code, message } } });

/**
 * What an event asks of the ledger, or null for an event that changes nothing
 * here. Stripe's own words (a decline's message) go to `said`, for the
 * operator's log; the command carries ours.
 */
export function commandOf(event: Stripe.Event, said: (report: ProviderReport) => void = () => undefined): StripeCommand | null {
  switch (event.type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded": {
      const session = event.data.object;
      if (session.payment_status !== "paid") return null; // paid later (async), or never: no credits yet
      const paymentIntent = typeof session.payment_intent === "string" ? session.payment_intent : (session.payment_intent?.id ?? null);
      if (!session.client_reference_id || !paymentIntent) throw new LedgerRefusal("not_found", `session ${session.id} names no checkout of ours`);
      const customerId = typeof session.customer === "string" ? session.customer : (session.customer?.id ?? null);
      return { kind: "grant_checkout", checkoutId: session.client_reference_id, sessionId: session.id, paymentIntent, customerId };
    }
    case "checkout.session.expired": {
      const session = event.data.object;
      return session.client_reference_id ? { kind: "expire_checkout", checkoutId: session.client_reference_id } : null;
    }
    case "payment_intent.succeeded": {
      const pi = event.data.object;
      if (pi.metadata?.recharge_id) return { kind: "grant_recharge", attemptId: pi.metadata.recharge_id, paymentIntent: pi.id };
      const customer = typeof pi.customer === "string" ? pi.customer : (pi.customer?.id ?? null);
      const method = typeof pi.payment_method === "string" ? pi.payment_method : (pi.payment_method?.id ?? null);
      if (customer && method && pi.setup_future_usage === "off_session") return { kind: "save_card", customerId: customer, paymentMethodId: method };
      return null;
    }
    case "payment_intent.payment_failed": {
      const pi = event.data.object;
      if (!pi.metadata?.recharge_id) return null;
      const error = pi.last_payment_error;
      const code = error?.code ?? "card_declined";
      const fault = providerFault("stripe", "Stripe declined the off-session charge", { kind: code }, error?.message);
      said(fault.report);
      return { kind: "recharge_failed", attemptId: pi.metadata.recharge_id, paymentIntent: pi.id, code, message: fault.message };
    }
    case "charge.refunded": {
      const charge = event.data.object;
      const pi = typeof charge.payment_intent === "string" ? charge.payment_intent : (charge.payment_intent?.id ?? null);
      return pi ? { kind: "clawback", paymentIntent: pi, refundedCents: charge.amount_refunded } : null;
    }
    case "charge.dispute.closed": {
      const dispute = event.data.object;
      if (dispute.status !== "lost") return null;
      const pi = typeof dispute.payment_intent === "string" ? dispute.payment_intent : (dispute.payment_intent?.id ?? null);
      return pi ? { kind: "clawback", paymentIntent: pi, disputedCents: dispute.amount } : null;
    }
    default:
      return null;
  }
}

export async function receiveStripeWebhook(
  deps: { ledger: Ledger; logger: Logger; webhookSecret: string | undefined; now: () => number },
  raw: Buffer,
  signature: string | undefined,
): Promise<WebhookAnswer & { signalled?: string[]; granted?: string }> {
  if (!deps.webhookSecret) return refused(503, "provider_not_configured", "payments are not configured here: set ECN_STRIPE_WEBHOOK_SECRET");
  let event: Stripe.Event;
  try {
    event = verifyStripeEvent(raw, signature, deps.webhookSecret);
  } catch (error) {
    deps.logger.warn("refused a Stripe webhook", { reason: (error as Error).message.split("\n")[0] });
    return refused(400, "invalid_signature", "the Stripe-Signature header does not match this body, or is too old");
  }
  let command: StripeCommand | null;
  try {
    command = commandOf(event, (report) =>
      deps.logger.warn("Stripe reported a failed charge", {
        event: event.id,
        provider: report.provider,
        reference: report.reference,
        provider_said: report.said,
      }),
    );
  } catch (error) {
    if (error instanceof LedgerRefusal) return refused(400, "not_found", error.message);
    return refused(400, "invalid_input", `cannot read ${event.type} ${event.id}`);
  }
  if (!command) return { status: 200, body: { received: true, applied: false } };
  try {
    const outcome = await deps.ledger.billing.applyStripeEvent(event.id, event.type, command, deps.now());
    if (outcome.kind === "duplicate") return { status: 200, body: { received: true, duplicate: true } };
    return {
      status: 200,
      body: { received: true, applied: true },
      signalled: outcome.signalled,
      ...(outcome.granted ? { granted: outcome.granted.orgId } : {}),
    };
  } catch (error) {
    if (error instanceof LedgerRefusal) {
      deps.logger.warn("a signed Stripe event names nothing this ledger knows; Stripe will retry it", {
        event: event.id,
        type: event.type,
        reason: error.message,
      });
      return refused(400, "not_found", error.message);
    }
    if (storageFailure(error)) return refused(503, "ledger_unavailable", "the ledger cannot take this event now; Stripe will retry it");
    throw error;
  }
}
