/**
 * Buying a pack: one Stripe customer per organisation (made once, its card
 * saved by the purchase for later off-session recharges), a checkout record
 * written before Stripe is asked (so the webhook always knows what was sold,
 * at what price, to whom), then the Checkout Session. Idempotency keys make
 * each Stripe call safe to retry.
 */
import { EcnError } from "../errors.js";
import { newId } from "../ids.js";
import type { CreditPackRecord, Ledger } from "../ledger/index.js";
import type { OrgRef } from "../metering/types.js";
import { microToCredits, microToCreditsText } from "../money.js";
import { stripeFailure, type StripeClient } from "./stripe-client.js";

export interface CheckoutView {
  url: string;
  session_id: string;
  pack: string;
  credits: number;
  usd: number;
}

export interface CheckoutDeps {
  ledger: Ledger;
  stripe: StripeClient;
  now: () => number;
}

/** The pack asked for, or the smallest when none is named. */
export async function choosePack(ledger: Ledger, name: string | undefined): Promise<CreditPackRecord> {
  const packs = await ledger.billing.listPacks();
  if (packs.length === 0)
    throw new EcnError("invalid_input", "no credit packs are for sale: the operator adds one with ecn-mcp packs set NAME --credits N --usd X");
  if (name === undefined) return packs[0]!;
  const pack = packs.find((p) => p.name === name);
  if (!pack) throw new EcnError("invalid_input", `no credit pack named "${name}"; packs for sale: ${packs.map((p) => p.name).join(", ")}`);
  return pack;
}

async function customerFor(deps: CheckoutDeps, org: OrgRef): Promise<string> {
  const known = await deps.ledger.billing.customerOf(org.id);
  if (known) return known.customerId;
  // The key makes a retry (or a second instance racing us) get the same customer back.
  const customer = await deps.stripe.customers.create({ name: org.name, metadata: { org_id: org.id } }, { idempotencyKey: `ecn-customer-${org.id}` });
  return (await deps.ledger.billing.saveCustomer(org.id, customer.id, deps.now())).customerId;
}

export async function createCheckout(
  deps: CheckoutDeps,
  org: OrgRef,
  packName: string | undefined,
  urls: { success: string; cancel: string },
): Promise<CheckoutView> {
  const pack = await choosePack(deps.ledger, packName);
  try {
    const customer = await customerFor(deps, org);
    const checkoutId = newId("chk");
    await deps.ledger.billing.startCheckout({
      id: checkoutId,
      orgId: org.id,
      pack: pack.name,
      microCredits: pack.microCredits,
      usdCents: pack.usdCents,
      createdAt: deps.now(),
    });
    const metadata = { org_id: org.id, checkout_id: checkoutId, pack: pack.name };
    const session = await deps.stripe.checkout.sessions.create(
      {
        mode: "payment",
        customer,
        client_reference_id: checkoutId,
        metadata,
        line_items: [
          {
            quantity: 1,
            price_data: {
              currency: "usd",
              unit_amount: pack.usdCents,
              product_data: { name: `${microToCreditsText(pack.microCredits)} credits (${pack.name})` },
            },
          },
        ],
        // Saves the card on the organisation's customer, for auto-recharge.
        payment_intent_data: { setup_future_usage: "off_session", metadata },
        success_url: urls.success,
        cancel_url: urls.cancel,
      },
      { idempotencyKey: `ecn-checkout-${checkoutId}` },
    );
    if (!session.url) throw new Error(`Stripe returned checkout session ${session.id} without a url`);
    await deps.ledger.billing.attachCheckoutSession(checkoutId, session.id, session.url);
    return { url: session.url, session_id: session.id, pack: pack.name, credits: microToCredits(pack.microCredits), usd: pack.usdCents / 100 };
  } catch (error) {
    if (error instanceof EcnError) throw error;
    if (error instanceof Error && error.name.startsWith("Stripe")) {
      const failure = stripeFailure("Stripe could not start the checkout", error);
      throw new EcnError("provider_error", failure.message, failure.status ? { status: failure.status } : {}, failure.report);
    }
    throw error;
  }
}
