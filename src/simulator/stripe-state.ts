/**
 * The Stripe simulator's objects and what happens to them: customers,
 * Checkout Sessions paid on the simulator's page, PaymentIntents (off-session
 * on a saved card), charges, refunds and disputes. Each change emits the
 * events Stripe emits, in the order Stripe usually does (delivery may
 * reorder them, as Stripe's may). Test card numbers behave as Stripe's do.
 */
import { randomBytes } from "node:crypto";

export type StripeObject = Record<string, unknown> & { id: string; object: string };

/** Stripe's test cards this simulator knows: what happens at checkout and, saved, off-session. */
export const TEST_CARDS: Record<string, { brand: string; checkout: "ok" | CardError; offSession: "ok" | CardError }> = {
  "4242424242424242": { brand: "visa", checkout: "ok", offSession: "ok" },
  "5555555555554444": { brand: "mastercard", checkout: "ok", offSession: "ok" },
  "4000000000000002": { brand: "visa", checkout: { code: "card_declined", decline: "generic_decline" }, offSession: "ok" },
  "4000000000009995": { brand: "visa", checkout: { code: "card_declined", decline: "insufficient_funds" }, offSession: "ok" },
  // Attaches to a customer fine, declines every later charge.
  "4000000000000341": { brand: "visa", checkout: "ok", offSession: { code: "card_declined", decline: "generic_decline" } },
  // Needs 3-D Secure: an off-session charge cannot authenticate.
  "4000002500003155": { brand: "visa", checkout: "ok", offSession: { code: "authentication_required", decline: "authentication_required" } },
};

export interface CardError {
  code: "card_declined" | "authentication_required";
  decline: string;
}

export const MESSAGES: Record<CardError["code"], string> = {
  card_declined: "Your card was declined.",
  authentication_required: "Your card was declined. This transaction requires authentication.",
};

export const stripeId = (prefix: string) => `${prefix}_${randomBytes(12).toString("base64url").replace(/[-_]/g, "x")}`;
export const unix = () => Math.floor(Date.now() / 1000);

export interface StripeStateEvents {
  emit(type: string, object: StripeObject, request?: { id: string; idempotencyKey: string | undefined }): void;
}

export class StripeState {
  readonly customers = new Map<string, StripeObject>();
  readonly sessions = new Map<string, StripeObject>();
  readonly paymentIntents = new Map<string, StripeObject>();
  readonly charges = new Map<string, StripeObject>();
  readonly refunds = new Map<string, StripeObject>();
  readonly disputes = new Map<string, StripeObject>();
  /** Saved cards: payment method id -> its object and card number. */
  readonly paymentMethods = new Map<string, { object: StripeObject; number: string }>();
  /** When set, every off-session charge fails with this error (a card that went bad after it was saved). */
  offSessionFailure: CardError | null = null;

  constructor(private readonly events: StripeStateEvents) {}

  createCustomer(params: { email?: string; name?: string; metadata: Record<string, string> }): StripeObject {
    const customer: StripeObject = {
      id: stripeId("cus"),
      object: "customer",
      created: unix(),
      email: params.email ?? null,
      name: params.name ?? null,
      metadata: params.metadata,
      livemode: false,
      invoice_settings: { default_payment_method: null },
    };
    this.customers.set(customer.id, customer);
    this.events.emit("customer.created", customer);
    return customer;
  }

  /** The card a person types on the pay page: a payment method, attached when the session saves cards. */
  private newPaymentMethod(number: string, customer: string | null): StripeObject {
    const pm: StripeObject = {
      id: stripeId("pm"),
      object: "payment_method",
      type: "card",
      card: { brand: TEST_CARDS[number]?.brand ?? "visa", last4: number.slice(-4), exp_month: 12, exp_year: new Date().getFullYear() + 3 },
      customer,
      created: unix(),
      livemode: false,
    };
    this.paymentMethods.set(pm.id, { object: pm, number });
    return pm;
  }

  private newCharge(pi: StripeObject, status: "succeeded" | "failed", failure: CardError | null): StripeObject {
    const charge: StripeObject = {
      id: stripeId("ch"),
      object: "charge",
      amount: pi.amount,
      amount_captured: status === "succeeded" ? pi.amount : 0,
      amount_refunded: 0,
      captured: status === "succeeded",
      currency: pi.currency,
      customer: pi.customer,
      disputed: false,
      failure_code: failure?.code ?? null,
      failure_message: failure ? MESSAGES[failure.code] : null,
      metadata: pi.metadata,
      paid: status === "succeeded",
      payment_intent: pi.id,
      payment_method: pi.payment_method,
      refunded: false,
      status,
      created: unix(),
      livemode: false,
    };
    this.charges.set(charge.id, charge);
    return charge;
  }

  newPaymentIntent(fields: Partial<StripeObject> & { amount: number; currency: string }): StripeObject {
    const pi: StripeObject = {
      id: stripeId("pi"),
      object: "payment_intent",
      amount_received: 0,
      capture_method: "automatic",
      confirmation_method: "automatic",
      created: unix(),
      customer: null,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      metadata: {},
      payment_method: null,
      payment_method_types: ["card"],
      setup_future_usage: null,
      status: "requires_payment_method",
      ...fields,
    };
    this.paymentIntents.set(pi.id, pi);
    return pi;
  }

  /** A charge attempt on a PaymentIntent: succeeded, or failed with Stripe's card error. */
  charge(pi: StripeObject, failure: CardError | null, request?: { id: string; idempotencyKey: string | undefined }): StripeObject {
    const charge = this.newCharge(pi, failure ? "failed" : "succeeded", failure);
    pi.latest_charge = charge.id;
    if (failure) {
      pi.status = "requires_payment_method";
      pi.last_payment_error = { type: "card_error", code: failure.code, decline_code: failure.decline, message: MESSAGES[failure.code], charge: charge.id };
      this.events.emit("charge.failed", charge, request);
      this.events.emit("payment_intent.payment_failed", pi, request);
    } else {
      pi.status = "succeeded";
      pi.amount_received = pi.amount;
      this.events.emit("charge.succeeded", charge, request);
      this.events.emit("payment_intent.succeeded", pi, request);
    }
    return charge;
  }

  /**
   * The person pays a session on the simulator's page. A card that declines
   * leaves the session open (they may try another); `bank` completes it
   * unpaid, and pays later (asyncPaymentSucceeded), as a bank debit does.
   */
  pay(session: StripeObject, number: string, method: "card" | "bank"): { declined: CardError | null } {
    const card =
      method === "bank"
        ? TEST_CARDS["4242424242424242"]!
        : (TEST_CARDS[number] ?? (number.length >= 12 && /^\d+$/.test(number) ? TEST_CARDS["4242424242424242"]! : null));
    if (!card) return { declined: { code: "card_declined", decline: "invalid_number" } };
    const intentData = (session.payment_intent_data ?? {}) as { setup_future_usage?: string; metadata?: Record<string, string> };
    const saves = intentData.setup_future_usage === "off_session" || intentData.setup_future_usage === "on_session";
    const customer = session.customer as string | null;
    const pm = this.newPaymentMethod(number, saves ? customer : null);
    const pi = this.newPaymentIntent({
      amount: session.amount_total as number,
      currency: session.currency as string,
      customer,
      payment_method: pm.id,
      metadata: intentData.metadata ?? {},
      setup_future_usage: intentData.setup_future_usage ?? null,
      status: "processing",
    });
    this.events.emit("payment_intent.created", pi);
    if (method === "bank") {
      Object.assign(session, { status: "complete", payment_status: "unpaid", payment_intent: pi.id });
      this.events.emit("checkout.session.completed", session);
      return { declined: null };
    }
    const declined = card.checkout === "ok" ? null : card.checkout;
    this.charge(pi, declined);
    if (declined) return { declined };
    if (saves && customer) this.events.emit("payment_method.attached", pm);
    Object.assign(session, { status: "complete", payment_status: "paid", payment_intent: pi.id });
    this.events.emit("checkout.session.completed", session);
    return { declined: null };
  }

  /** A session that will never be paid (expired through the API, or past its time). */
  sessionExpired(session: StripeObject): void {
    this.events.emit("checkout.session.expired", session);
  }

  /** A bank debit that cleared: the session's payment succeeds days later. */
  asyncPaymentSucceeded(session: StripeObject): void {
    const pi = this.paymentIntents.get(session.payment_intent as string);
    if (!pi || session.payment_status !== "unpaid") throw new Error(`session ${session.id} has no pending payment`);
    this.charge(pi, null);
    session.payment_status = "paid";
    this.events.emit("checkout.session.async_payment_succeeded", session);
  }

  /** The card a saved payment method stands for, as an off-session charge sees it. */
  offSessionOutcome(pmId: string): CardError | null {
    if (this.offSessionFailure) return this.offSessionFailure;
    const saved = this.paymentMethods.get(pmId);
    const outcome = saved ? (TEST_CARDS[saved.number]?.offSession ?? "ok") : "ok";
    return outcome === "ok" ? null : outcome;
  }

  refund(charge: StripeObject, amount: number, request?: { id: string; idempotencyKey: string | undefined }): StripeObject {
    const refund: StripeObject = {
      id: stripeId("re"),
      object: "refund",
      amount,
      charge: charge.id,
      currency: charge.currency,
      payment_intent: charge.payment_intent,
      status: "succeeded",
      created: unix(),
    };
    this.refunds.set(refund.id, refund);
    charge.amount_refunded = (charge.amount_refunded as number) + amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    this.events.emit("refund.created", refund, request);
    this.events.emit("charge.refunded", charge, request);
    return refund;
  }

  /** A cardholder disputes the charge, and the dispute closes with `status`. */
  dispute(charge: StripeObject, status: "lost" | "won"): StripeObject {
    const dispute: StripeObject = {
      id: stripeId("dp"),
      object: "dispute",
      amount: (charge.amount as number) - (charge.amount_refunded as number),
      charge: charge.id,
      currency: charge.currency,
      payment_intent: charge.payment_intent,
      reason: "fraudulent",
      status: "needs_response",
      created: unix(),
      livemode: false,
    };
    this.disputes.set(dispute.id, dispute);
    charge.disputed = true;
    this.events.emit("charge.dispute.created", { ...dispute });
    dispute.status = status;
    this.events.emit("charge.dispute.closed", dispute);
    return dispute;
  }
}
