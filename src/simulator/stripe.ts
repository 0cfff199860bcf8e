/**
 * A loopback fake of Stripe's API, faithful for what ecn-mcp uses and never
 * friendlier: form-encoded bodies with nested keys, secret-key auth,
 * Idempotency-Key on POSTs (same key and parameters: the first answer again,
 * with `Idempotent-Replayed: true`; same key, other parameters: 400
 * idempotency_error), Stripe's error bodies and ids (cus_, cs_, pi_, pm_,
 * ch_, re_, dp_, evt_). Customers, Checkout Sessions in payment mode paid on
 * the simulator's own page (test card numbers decline as Stripe's do; the
 * card is saved on the customer with `setup_future_usage`), off-session
 * PaymentIntents on a saved card (402 card_error on a decline), refunds,
 * disputes, and signed webhook delivery (see stripe-webhooks.ts). Every API
 * request is logged, so tests can assert what reached Stripe.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { listenLoopback, readBody, sendJson } from "./http.js";
import { canonical, parseForm, type FormObject } from "./stripe-form.js";
import { handleApi, type ApiAnswer } from "./stripe-api.js";
import { payPage } from "./stripe-page.js";
import { StripeState, stripeId, unix, type StripeObject } from "./stripe-state.js";
import { WebhookSender, type StripeDelivery, type StripeEvent, type WebhookKnobs } from "./stripe-webhooks.js";

export type { StripeDelivery, StripeEvent, WebhookKnobs } from "./stripe-webhooks.js";
export { stripeSignature } from "./stripe-webhooks.js";

export interface StripeSimulatedRequest {
  seq: number;
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  body: FormObject;
  status: number;
  replayed: boolean;
}

export interface StripeSimulator {
  /** http://127.0.0.1:PORT: what ECN_STRIPE_BASE_URL points at. */
  baseUrl: string;
  secretKey: string;
  /** The endpoint secret events are signed with (ECN_STRIPE_WEBHOOK_SECRET). */
  webhookSecret: string;
  requests: StripeSimulatedRequest[];
  events: StripeEvent[];
  deliveries: StripeDelivery[];
  webhooks: WebhookKnobs;
  state: StripeState;
  /** What a person does on the pay page; returns where the browser is sent next (or the decline). */
  pay(sessionId: string, card?: string, method?: "card" | "bank"): { redirect: string | null; declined: string | null };
  asyncPaymentSucceeded(sessionId: string): void;
  dispute(paymentIntent: string, status: "lost" | "won"): StripeObject;
  /** Delivers held events (webhooks.hold). */
  release(): void;
  /** Resolves once every delivery under way, retries included, has ended. */
  settled(): Promise<void>;
  /** PaymentIntents created through the API (off-session charges): what Stripe would bill. */
  apiPaymentIntents(): StripeObject[];
  close(): Promise<void>;
}

const API_VERSION = "2026-11-18.endive";

export async function startStripeSimulator(options: { secretKey?: string; webhookSecret?: string; port?: number } = {}): Promise<StripeSimulator> {
  const secretKey = options.secretKey ?? `sk_test_sim${randomBytes(12).toString("hex")}`;
  const webhookSecret = options.webhookSecret ?? `whsec_sim${randomBytes(16).toString("hex")}`;
  const requests: StripeSimulatedRequest[] = [];
  const events: StripeEvent[] = [];
  const sender = new WebhookSender(webhookSecret);
  const idempotent = new Map<string, { params: string; answer: ApiAnswer }>();
  const apiIntents: string[] = [];
  const state = new StripeState({
    emit(type, object, request) {
      const event: StripeEvent = {
        id: stripeId("evt"),
        object: "event",
        api_version: API_VERSION,
        created: unix(),
        data: { object: structuredClone(object) },
        livemode: false,
        pending_webhooks: 1,
        request: { id: request?.id ?? null, idempotency_key: request?.idempotencyKey ?? null },
        type,
      };
      events.push(event);
      sender.enqueue(event);
    },
  });

  let origin = "";
  const pay = (sessionId: string, card = "4242424242424242", method: "card" | "bank" = "card") => {
    const session = state.sessions.get(sessionId);
    if (!session) throw new Error(`no session ${sessionId}`);
    if (session.status !== "open") return { redirect: null, declined: `this session is ${String(session.status)}` };
    const { declined } = state.pay(session, card.replace(/\s+/g, ""), method);
    if (declined)
      return { redirect: null, declined: declined.decline === "insufficient_funds" ? "Your card has insufficient funds." : "Your card was declined." };
    return { redirect: String(session.success_url).replace("{CHECKOUT_SESSION_ID}", sessionId), declined: null };
  };

  const server = await listenLoopback(async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const raw = req.method === "POST" ? (await readBody(req)).toString("utf8") : "";
    const page = /^\/c\/pay\/(cs_[\w]+)$/.exec(url.pathname);
    if (page) return payRoute(req, res, page[1]!, raw);
    const body = req.method === "POST" ? parseForm(raw) : parseForm(url.search.slice(1));
    const key = typeof req.headers["idempotency-key"] === "string" ? req.headers["idempotency-key"] : undefined;
    const entry: StripeSimulatedRequest = {
      seq: requests.length + 1,
      method: req.method ?? "GET",
      path: url.pathname,
      idempotencyKey: key,
      body,
      status: 200,
      replayed: false,
    };
    requests.push(entry);
    const requestId = stripeId("req");
    const send = (answer: ApiAnswer, replayed = false) => {
      entry.status = answer.status;
      entry.replayed = replayed;
      sendJson(res, answer.status, answer.body, {
        "request-id": requestId,
        "stripe-version": String(req.headers["stripe-version"] ?? API_VERSION),
        ...(replayed ? { "idempotent-replayed": "true" } : {}),
        ...(key ? { "idempotency-key": key } : {}),
      });
    };
    if (req.headers.authorization !== `Bearer ${secretKey}`) {
      const shown = String(req.headers.authorization ?? "").replace(/^Bearer\s+/i, "");
      return send({
        status: 401,
        body: { error: { type: "invalid_request_error", message: `Invalid API Key provided: ${shown.slice(0, 8)}****${shown.slice(-4)}` } },
      });
    }
    const params = `${req.method} ${url.pathname} ${canonical(body)}`;
    if (req.method === "POST" && key) {
      const earlier = idempotent.get(key);
      if (earlier && earlier.params !== params) {
        return send({
          status: 400,
          body: {
            error: {
              type: "idempotency_error",
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
            },
          },
        });
      }
      if (earlier) return send(earlier.answer, true);
    }
    const answer = handleApi(state, req.method ?? "GET", url.pathname, body, { origin, requestId, idempotencyKey: key, apiIntents });
    // Stripe keeps the outcome of a keyed request, errors included, except a server error (retrying that is safe).
    if (req.method === "POST" && key && answer.status < 500) idempotent.set(key, { params, answer });
    send(answer);
  });
  origin = server.origin;

  function payRoute(req: IncomingMessage, res: ServerResponse, sessionId: string, raw: string): void {
    const session = state.sessions.get(sessionId);
    const html = (status: number, text: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "text/html; charset=utf-8", ...headers });
      res.end(text);
    };
    if (!session) return html(404, "<!doctype html><p>This checkout session does not exist.</p>");
    if (req.method !== "POST") return html(200, payPage(session));
    const form = new URLSearchParams(raw);
    const outcome = pay(sessionId, form.get("card") ?? "", form.get("method") === "bank" ? "bank" : "card");
    if (outcome.redirect) return html(303, "", { location: outcome.redirect });
    html(402, payPage(session, outcome.declined ?? "declined"));
  }

  return {
    baseUrl: server.origin,
    secretKey,
    webhookSecret,
    requests,
    events,
    deliveries: sender.deliveries,
    webhooks: sender.knobs,
    state,
    pay,
    asyncPaymentSucceeded: (sessionId) => state.asyncPaymentSucceeded(state.sessions.get(sessionId)!),
    dispute: (paymentIntent, status) => {
      const pi = state.paymentIntents.get(paymentIntent);
      const charge = pi && state.charges.get(pi.latest_charge as string);
      if (!charge) throw new Error(`no charge for ${paymentIntent}`);
      return state.dispute(charge, status);
    },
    release: () => sender.release(),
    settled: () => sender.settled(),
    apiPaymentIntents: () => apiIntents.map((id) => state.paymentIntents.get(id)!),
    close: async () => {
      sender.close();
      await server.close();
    },
  };
}
