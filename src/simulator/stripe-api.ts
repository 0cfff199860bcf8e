/**
 * The Stripe simulator's API routes: parameters checked as Stripe checks
 * them (unknown parameters, missing ones, amounts below Stripe's $0.50
 * minimum, objects that do not exist), answers and errors in Stripe's shapes.
 */
import { metadataOf, obj, str, type FormObject, type FormValue } from "./stripe-form.js";
import { MESSAGES, stripeId, unix, type StripeObject, type StripeState } from "./stripe-state.js";

export interface ApiAnswer {
  status: number;
  body: unknown;
}

export interface ApiContext {
  origin: string;
  requestId: string;
  idempotencyKey: string | undefined;
  /** PaymentIntents created through the API, in order. */
  apiIntents: string[];
}

const invalid = (message: string, param?: string, code?: string): ApiAnswer => ({
  status: 400,
  body: { error: { type: "invalid_request_error", message, ...(param ? { param } : {}), ...(code ? { code } : {}) } },
});
const missing = (kind: string, id: string, param = "id"): ApiAnswer => ({
  status: 404,
  body: { error: { type: "invalid_request_error", code: "resource_missing", message: `No such ${kind}: '${id}'`, param } },
});
const ok = (body: unknown): ApiAnswer => ({ status: 200, body });

/** Stripe refuses parameters it does not know. */
function unknownParam(body: FormObject, known: string[]): ApiAnswer | null {
  const extra = Object.keys(body).find((k) => !known.includes(k));
  return extra ? invalid(`Received unknown parameter: ${extra}`, extra) : null;
}

const integer = (value: FormValue | undefined): number | null => (typeof value === "string" && /^\d+$/.test(value) ? Number(value) : null);
const truthy = (value: FormValue | undefined) => value === "true";

export function handleApi(state: StripeState, method: string, path: string, body: FormObject, ctx: ApiContext): ApiAnswer {
  const parts = path.split("/").filter(Boolean);
  const request = { id: ctx.requestId, idempotencyKey: ctx.idempotencyKey };
  if (parts[0] !== "v1") return invalid(`Unrecognized request URL (${method}: ${path}).`);
  const [, resource, id, action] = parts;
  if (resource === "customers") {
    if (method === "POST" && !id) {
      const bad = unknownParam(body, ["email", "name", "metadata", "description", "expand"]);
      return bad ?? ok(state.createCustomer({ email: str(body.email), name: str(body.name), metadata: metadataOf(body.metadata) }));
    }
    if (method === "GET" && id) return state.customers.has(id) ? ok(state.customers.get(id)) : missing("customer", id);
  }
  if (resource === "checkout" && id === "sessions") {
    const sessionId = action;
    if (method === "POST" && !sessionId) return createSession(state, body, ctx);
    if (sessionId) {
      const session = state.sessions.get(sessionId);
      if (!session) return missing("checkout.session", sessionId);
      if (method === "GET" && parts.length === 4) return ok(session);
      if (method === "POST" && parts[4] === "expire") {
        if (session.status !== "open") return invalid(`Only Checkout Sessions with a status in ["open"] can be expired.`);
        session.status = "expired";
        state.sessionExpired(session);
        return ok(session);
      }
    }
  }
  if (resource === "payment_intents") {
    if (method === "POST" && !id) return createPaymentIntent(state, body, ctx, request);
    if (method === "GET" && id) return state.paymentIntents.has(id) ? ok(state.paymentIntents.get(id)) : missing("payment_intent", id);
  }
  if (resource === "refunds" && method === "POST" && !id) return createRefund(state, body, request);
  if (resource === "charges" && method === "GET" && id) return state.charges.has(id) ? ok(state.charges.get(id)) : missing("charge", id);
  return { status: 404, body: { error: { type: "invalid_request_error", message: `Unrecognized request URL (${method}: ${path}).` } } };
}

const SESSION_PARAMS = [
  "mode",
  "line_items",
  "success_url",
  "cancel_url",
  "customer",
  "customer_email",
  "client_reference_id",
  "metadata",
  "payment_intent_data",
  "payment_method_types",
  "expires_at",
  "expand",
  "locale",
];

function createSession(state: StripeState, body: FormObject, ctx: ApiContext): ApiAnswer {
  const bad = unknownParam(body, SESSION_PARAMS);
  if (bad) return bad;
  if (!body.mode) return invalid("Missing required param: mode.", "mode");
  if (body.mode !== "payment") return invalid(`the simulator covers mode=payment only (got ${String(str(body.mode))})`, "mode");
  const successUrl = str(body.success_url);
  if (!successUrl) return invalid("Missing required param: success_url.", "success_url");
  if (!URL.canParse(successUrl)) return invalid("Not a valid URL", "success_url", "url_invalid");
  const cancelUrl = str(body.cancel_url);
  if (cancelUrl !== undefined && !URL.canParse(cancelUrl)) return invalid("Not a valid URL", "cancel_url", "url_invalid");
  const items = Array.isArray(body.line_items) ? body.line_items : [];
  if (items.length === 0) return invalid("Missing required param: line_items.", "line_items");
  let total = 0;
  let currency: string | undefined;
  const names: string[] = [];
  for (const [i, raw] of items.entries()) {
    const item = obj(raw) ?? {};
    const priceData = obj(item.price_data);
    const quantity = integer(item.quantity);
    if (!priceData) return invalid(`the simulator covers line_items[${i}][price_data] only`, `line_items[${i}][price_data]`);
    const unitAmount = integer(priceData.unit_amount);
    const itemCurrency = str(priceData.currency);
    const name = str(obj(priceData.product_data)?.name);
    if (quantity === null || quantity < 1) return invalid("Invalid positive integer", `line_items[${i}][quantity]`);
    if (unitAmount === null) return invalid("Invalid integer", `line_items[${i}][price_data][unit_amount]`);
    if (!itemCurrency) return invalid("Missing required param: line_items[0][price_data][currency].", `line_items[${i}][price_data][currency]`);
    if (!name) return invalid("Missing required param: line_items[0][price_data][product_data][name].", `line_items[${i}][price_data][product_data]`);
    currency ??= itemCurrency;
    total += unitAmount * quantity;
    names.push(quantity > 1 ? `${quantity} x ${name}` : name);
  }
  if (currency === "usd" && total < 50)
    return invalid("The Checkout Session's total amount due must add up to at least $0.50 usd", undefined, "amount_too_small");
  const customer = str(body.customer) ?? null;
  if (customer && !state.customers.has(customer)) return invalid(`No such customer: '${customer}'`, "customer", "resource_missing");
  const intentData = obj(body.payment_intent_data);
  const sfu = str(intentData?.setup_future_usage);
  if (sfu !== undefined && sfu !== "off_session" && sfu !== "on_session")
    return invalid(`Invalid setup_future_usage: must be one of on_session or off_session`, "payment_intent_data[setup_future_usage]");
  const id = stripeId("cs_test");
  const session: StripeObject = {
    id,
    object: "checkout.session",
    amount_subtotal: total,
    amount_total: total,
    cancel_url: cancelUrl ?? null,
    client_reference_id: str(body.client_reference_id) ?? null,
    created: unix(),
    currency,
    customer,
    customer_email: str(body.customer_email) ?? null,
    expires_at: unix() + 86_400,
    livemode: false,
    metadata: metadataOf(body.metadata),
    mode: "payment",
    payment_intent: null,
    payment_method_types: ["card"],
    payment_status: "unpaid",
    status: "open",
    success_url: successUrl,
    url: `${ctx.origin}/c/pay/${id}`,
  };
  // Kept beside the session, not in it: Stripe does not show these fields on the session object.
  Object.defineProperty(session, "payment_intent_data", { value: { setup_future_usage: sfu, metadata: metadataOf(intentData?.metadata) }, enumerable: false });
  Object.defineProperty(session, "line_items_display", { value: names.join(", "), enumerable: false });
  state.sessions.set(id, session);
  return ok(session);
}

function createPaymentIntent(state: StripeState, body: FormObject, ctx: ApiContext, request: { id: string; idempotencyKey: string | undefined }): ApiAnswer {
  const bad = unknownParam(body, [
    "amount",
    "currency",
    "customer",
    "payment_method",
    "off_session",
    "confirm",
    "metadata",
    "description",
    "expand",
    "payment_method_types",
  ]);
  if (bad) return bad;
  const amount = integer(body.amount);
  const currency = str(body.currency);
  if (amount === null) return invalid("Missing required param: amount.", "amount");
  if (!currency) return invalid("Missing required param: currency.", "currency");
  if (currency === "usd" && amount < 50) return invalid("Amount must be at least $0.50 usd", "amount", "amount_too_small");
  const customer = str(body.customer) ?? null;
  if (customer && !state.customers.has(customer)) return invalid(`No such customer: '${customer}'`, "customer", "resource_missing");
  const pmId = str(body.payment_method) ?? null;
  const saved = pmId ? state.paymentMethods.get(pmId) : undefined;
  if (pmId && !saved) return invalid(`No such PaymentMethod: '${pmId}'`, "payment_method", "resource_missing");
  const confirm = truthy(body.confirm);
  if (truthy(body.off_session) && !confirm) return invalid("You may only specify off_session=true when confirm=true.", "off_session");
  if (saved && saved.object.customer !== customer) {
    return invalid(
      `The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, shared with a connected account without Customer attachment, or was detached from a Customer. It may not be used again.`,
      "payment_method",
    );
  }
  const pi = state.newPaymentIntent({
    amount,
    currency,
    customer,
    payment_method: pmId,
    metadata: metadataOf(body.metadata),
    status: confirm ? "processing" : pmId ? "requires_confirmation" : "requires_payment_method",
  });
  ctx.apiIntents.push(pi.id);
  if (!confirm) return ok(pi);
  if (!pmId)
    return invalid("You cannot confirm this PaymentIntent because it's missing a payment method.", "payment_method", "payment_intent_unexpected_state");
  const failure = state.offSessionOutcome(pmId);
  const charge = state.charge(pi, failure, request);
  if (!failure) return ok(pi);
  return {
    status: 402,
    body: {
      error: {
        type: "card_error",
        code: failure.code,
        decline_code: failure.decline,
        message: MESSAGES[failure.code],
        charge: charge.id,
        payment_intent: pi,
        payment_method: saved?.object,
        doc_url: `https://stripe.com/docs/error-codes/${failure.code.replace(/_/g, "-")}`,
      },
    },
  };
}

function createRefund(state: StripeState, body: FormObject, request: { id: string; idempotencyKey: string | undefined }): ApiAnswer {
  const bad = unknownParam(body, ["payment_intent", "charge", "amount", "reason", "metadata", "expand"]);
  if (bad) return bad;
  const piId = str(body.payment_intent);
  const chargeId = str(body.charge) ?? (piId ? (state.paymentIntents.get(piId)?.latest_charge as string | undefined) : undefined);
  if (piId && !state.paymentIntents.has(piId)) return invalid(`No such payment_intent: '${piId}'`, "payment_intent", "resource_missing");
  if (!piId && !str(body.charge)) return invalid("One of the following params should be provided for this request: payment_intent or charge.");
  const charge = chargeId ? state.charges.get(chargeId) : undefined;
  if (!charge || charge.status !== "succeeded") return invalid("This PaymentIntent does not have a successful charge to refund.", "payment_intent");
  const left = (charge.amount as number) - (charge.amount_refunded as number);
  const amount = body.amount === undefined ? left : integer(body.amount);
  if (amount === null || amount < 1) return invalid("Invalid positive integer", "amount");
  if (left === 0) return invalid(`Charge ${charge.id} has already been refunded.`, undefined, "charge_already_refunded");
  if (amount > left)
    return invalid(`Refund amount ($${(amount / 100).toFixed(2)}) is greater than unrefunded amount on charge ($${(left / 100).toFixed(2)})`, "amount");
  return ok(state.refund(charge, amount, request));
}
