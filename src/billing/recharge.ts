/**
 * Sending a recharge attempt: an off-session PaymentIntent on the
 * organisation's saved card. The attempt is leased first (two instances
 * never send it at once), and the idempotency key is derived from the
 * crossing, so a retry after a crash or a lost answer gets the same
 * PaymentIntent from Stripe, never a second charge. Credits arrive only with
 * Stripe's payment_intent.succeeded webhook; a decline turns auto-recharge
 * off and sends recharge.failed.
 */
import type { Ledger } from "../ledger/index.js";
import type { Logger } from "../log.js";
import { stripeFailure, type StripeClient } from "./stripe-client.js";

/** How long an instance may take to get Stripe's answer before another may try (with the same key). */
const LEASE_MS = 60_000;

export interface RechargeDeps {
  ledger: Ledger;
  stripe: StripeClient;
  logger: Logger;
  now: () => number;
}

/** Sends one attempt if nobody else holds it; true when Stripe answered (either way). */
export async function sendRecharge(deps: RechargeDeps, attemptId: string): Promise<boolean> {
  const now = deps.now();
  const attempt = await deps.ledger.billing.claimRechargeAttempt(attemptId, now + LEASE_MS, now);
  if (!attempt) return false;
  const customer = await deps.ledger.billing.customerOf(attempt.orgId);
  if (!customer?.paymentMethodId) {
    await deps.ledger.billing.rechargeFailed(attempt.id, attempt.orgId, null, "no_saved_card", "no saved card to charge", deps.now());
    return true;
  }
  try {
    const intent = await deps.stripe.paymentIntents.create(
      {
        amount: attempt.usdCents,
        currency: "usd",
        customer: customer.customerId,
        payment_method: customer.paymentMethodId,
        off_session: true,
        confirm: true,
        description: "ecn-mcp credits (auto-recharge)",
        metadata: { org_id: attempt.orgId, recharge_id: attempt.id, crossing: attempt.crossing },
      },
      { idempotencyKey: `ecn-recharge-${attempt.crossing}` },
    );
    await deps.ledger.billing.rechargeCreated(attempt.id, intent.id, deps.now());
    deps.logger.info("auto-recharge charged", { org: attempt.orgId, payment_intent: intent.id, usd: attempt.usdCents / 100 });
    return true;
  } catch (error) {
    const failure = stripeFailure("Stripe declined the off-session charge", error);
    // Stripe's words for the operator only, under the reference the organisation's recharge.failed event names.
    const report = { provider: "stripe", reference: failure.report.reference, provider_said: failure.report.said };
    if (failure.cardError) {
      const { code, paymentIntent } = failure.cardError;
      await deps.ledger.billing.rechargeFailed(attempt.id, attempt.orgId, paymentIntent, code, failure.message, deps.now());
      deps.logger.warn("auto-recharge declined: turned off", { org: attempt.orgId, code, ...report });
      return true;
    }
    // No answer (or a server error): the lease runs out and a sweep sends it again, with the same key.
    deps.logger.warn("auto-recharge could not reach Stripe; it will be retried", { org: attempt.orgId, ...report });
    return false;
  }
}
