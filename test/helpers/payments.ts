/**
 * Payments end to end: the built server in HTTP mode configured for the
 * Stripe simulator (the real `stripe` package talks to it), the simulator's
 * webhook pointed at the server, and helpers to buy a pack as a person would
 * (POST the simulator's pay form) and to send signed events ourselves.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach } from "vitest";
import { startStripeSimulator, stripeSignature, type StripeEvent, type StripeSimulator } from "../../src/simulator/stripe.js";
import { spawnHttpServer, startHttpStack, type HttpServerProcess, type HttpStack } from "./http-stack.js";
import { sqlRows } from "./store.js";
import { waitFor } from "./stack.js";

export interface PaymentsStack extends HttpStack {
  stripe: StripeSimulator;
  /** Another server instance on the same ledger. */
  another: () => Promise<HttpServerProcess>;
  post: (path: string, body: unknown, key?: string) => Promise<Response>;
  /** Starts a checkout for an organisation and pays it with `card`; the Checkout Session id. */
  buy: (org: string, pack: string, card?: string) => Promise<string>;
  balance: (org: string) => Promise<number>;
}

const sims: StripeSimulator[] = [];
const receivers: Server[] = [];
afterEach(async () => {
  while (sims.length) await sims.pop()!.close();
  while (receivers.length) {
    const server = receivers.pop()!;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

export async function startPaymentsStack(
  options: { orgs?: Record<string, string>; env?: Record<string, string>; packs?: { name: string; credits: string; usd: string }[] } = {},
): Promise<PaymentsStack> {
  const stripe = await startStripeSimulator();
  sims.push(stripe);
  const stripeEnv = {
    ECN_STRIPE_SECRET_KEY: stripe.secretKey,
    ECN_STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
    ECN_STRIPE_BASE_URL: stripe.baseUrl,
    ECN_WEBHOOK_ALLOW_LOOPBACK: "1",
    ECN_WEBHOOK_RETRY_MS: "50",
    ...options.env,
  };
  const stack = await startHttpStack({ orgs: options.orgs ?? { acme: "1" }, env: stripeEnv });
  stripe.webhooks.url = `${stack.url}/api/v1/stripe/webhook`;
  for (const pack of options.packs ?? [{ name: "starter", credits: "1000", usd: "10" }])
    await stack.cli("packs", "set", pack.name, "--credits", pack.credits, "--usd", pack.usd);
  const post = (path: string, body: unknown, key?: string) =>
    fetch(stack.url + path, {
      method: "POST",
      headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify(body),
    });
  const balance = async (org: string) => {
    const [row] = await sqlRows(stack.ledger, `SELECT balance_micro_credits AS b FROM wallets WHERE org_id = '${stack.orgIds[org]}'`);
    return Number(row!.b) / 1e6;
  };
  return {
    ...stack,
    stripe,
    post,
    balance,
    another: () => spawnHttpServer(stack.providers.env),
    buy: async (org, pack, card = "4242424242424242") => {
      const response = await post("/api/v1/credits/checkout", { pack }, stack.keys[org]);
      const { url, session_id } = (await response.json()) as { url: string; session_id: string };
      if (response.status !== 200) throw new Error(`checkout answered ${response.status}`);
      const paid = await payOnPage(url, card);
      if (paid.status !== 303) throw new Error(`the pay page answered ${paid.status}`);
      return session_id;
    },
  };
}

/** What a browser does on the simulator's page: submit the form. */
export function payOnPage(url: string, card: string, method: "card" | "bank" = "card"): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ card, method }).toString(),
    redirect: "manual",
  });
}

/** Posts a Stripe event to a server, signed with `secret` (and a timestamp `ageSeconds` old). */
export function sendEvent(url: string, event: StripeEvent, secret: string, ageSeconds = 0): Promise<Response> {
  const payload = JSON.stringify(event, null, 2);
  return fetch(`${url}/api/v1/stripe/webhook`, {
    method: "POST",
    headers: { "content-type": "application/json", "stripe-signature": stripeSignature(secret, payload, Math.floor(Date.now() / 1000) - ageSeconds) },
    body: payload,
  });
}

/** Grants in the ledger (purchases and operator grants). */
export async function grants(stack: HttpStack): Promise<{ amount: number; ref: string | null; note: string }[]> {
  const rows = await sqlRows(
    stack.ledger,
    "SELECT amount_micro_credits AS a, external_ref AS r, note FROM credit_transactions WHERE kind = 'grant' ORDER BY created_at",
  );
  return rows.map((r) => ({ amount: Number(r.a as bigint) / 1e6, ref: (r.r as string | null) ?? null, note: typeof r.note === "string" ? r.note : "" }));
}

export interface ReceivedWebhook {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
}

/** A loopback receiver for outgoing webhooks; `answer` decides each response (a number, or "hang" to never answer). */
export async function webhookReceiver(answer: () => number | "hang" = () => 200) {
  const received: ReceivedWebhook[] = [];
  const hanging: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const status = answer();
      if (status === "hang") return void hanging.push(req);
      if (status >= 200 && status < 300) {
        received.push({
          id: String(req.headers["webhook-id"]),
          timestamp: String(req.headers["webhook-timestamp"]),
          signature: String(req.headers["webhook-signature"]),
          body,
        });
      }
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  receivers.push(server);
  return { url, received, hanging };
}

export { waitFor };
