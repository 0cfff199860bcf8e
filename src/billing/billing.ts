/**
 * Money coming in, as one service: packs for sale, Checkout, Stripe's
 * webhook, auto-recharge, alerts and the outgoing-webhook outbox. Tools and
 * the HTTP layer reach it through this facade (tools through the small
 * BuyCredits interface); only this folder holds the `stripe` package.
 *
 * Work that follows a commit (alerts to fan out, a recharge to send,
 * deliveries) runs in the background of every instance: kicked at once when
 * this process caused it, and swept every second, so what another instance
 * or a dead process left is done too.
 *
 * The `stripe` package (and everything that calls Stripe) loads at the first
 * call to Stripe, never when payments are not configured: a server or verb
 * that sells nothing never loads it.
 */
import { randomBytes } from "node:crypto";
import { EcnError } from "../errors.js";
import { newId } from "../ids.js";
import type { Ledger } from "../ledger/index.js";
import type { Logger } from "../log.js";
import type { PricingConfig } from "../metering/pricing.js";
import type { OrgRef } from "../metering/types.js";
import { formatDecimal } from "../money.js";
import type { StripeConfig, WebhooksConfig } from "../config-billing.js";
import type { CheckoutView } from "./checkout.js";
import { deliverDue } from "./outbox.js";
import { checkUrlForm, resolveSafely } from "./ssrf.js";
import type { StripeClient } from "./stripe-client.js";
import type { WebhookAnswer } from "./stripe-webhook.js";

export type { CheckoutView } from "./checkout.js";

/** What the buy_credits tool may ask: a checkout link for the caller's organisation. */
export interface BuyCredits {
  readonly paymentsConfigured: boolean;
  checkout(org: OrgRef, pack: string | undefined, returnTo?: ReturnUrls): Promise<CheckoutView>;
}

export interface ReturnUrls {
  success: string;
  cancel: string;
}

export interface BillingDeps {
  ledger: Ledger;
  logger: Logger;
  pricing: PricingConfig;
  stripe: StripeConfig;
  webhooks: WebhooksConfig;
  /** ECN_PUBLIC_URL: where Stripe sends the person back (the dashboard); unset: this HTTP server's own address. */
  publicUrl: string | undefined;
  now?: () => number;
}

/** Daily spend above this many times the 7-day average is an anomaly. */
const ANOMALY_FACTOR = 3;
const TICK_MS = 1_000;
const ANOMALY_SCAN_MS = 60_000;

export class Billing implements BuyCredits {
  readonly paymentsConfigured: boolean;
  private client: Promise<StripeClient> | undefined;
  private readonly now: () => number;
  private readonly owner = newId("dlv");
  private publicUrl: string;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private again = false;
  private lastScan = 0;
  private stopped = false;

  constructor(private readonly deps: BillingDeps) {
    this.now = deps.now ?? Date.now;
    this.paymentsConfigured = deps.stripe.secretKey !== undefined;
    this.publicUrl = deps.publicUrl ?? "http://127.0.0.1:8787";
  }

  /** Where Stripe sends the person back when no ECN_PUBLIC_URL is set: this HTTP server's own address. */
  servedAt(url: string): void {
    if (!this.deps.publicUrl) this.publicUrl = url;
  }

  /** The dashboard page of the organisation: where a purchase returns to. */
  returnUrls(orgId: string): ReturnUrls {
    const org = `#/org/${encodeURIComponent(orgId)}`;
    return {
      success: `${this.publicUrl}/dashboard/?checkout=success&session_id={CHECKOUT_SESSION_ID}${org}`,
      cancel: `${this.publicUrl}/dashboard/?checkout=cancelled${org}`,
    };
  }

  /** The Stripe client, made (and the package loaded) at the first call. */
  private stripe(): Promise<StripeClient> {
    const { secretKey, baseUrl } = this.deps.stripe;
    if (!secretKey) throw new EcnError("provider_not_configured", "payments are not configured on this server: the operator sets ECN_STRIPE_SECRET_KEY");
    return (this.client ??= import("./stripe-client.js").then(({ createStripeClient }) => createStripeClient({ secretKey, baseUrl })));
  }

  async checkout(org: OrgRef, pack: string | undefined, returnTo?: ReturnUrls): Promise<CheckoutView> {
    const stripe = await this.stripe();
    const { createCheckout } = await import("./checkout.js");
    return createCheckout({ ledger: this.deps.ledger, stripe, now: this.now }, org, pack, returnTo ?? this.returnUrls(org.id));
  }

  async receiveStripeWebhook(raw: Buffer, signature: string | undefined): Promise<WebhookAnswer> {
    if (!this.deps.stripe.webhookSecret) {
      return { status: 503, body: { error: { code: "provider_not_configured", message: "payments are not configured here: set ECN_STRIPE_WEBHOOK_SECRET" } } };
    }
    const { receiveStripeWebhook } = await import("./stripe-webhook.js");
    const answer = await receiveStripeWebhook(
      { ledger: this.deps.ledger, logger: this.deps.logger, webhookSecret: this.deps.stripe.webhookSecret, now: this.now },
      raw,
      signature,
    );
    if (answer.status === 200) this.kick();
    return answer;
  }

  /** A new webhook endpoint: its URL checked now (form, and where the name resolves), its secret made here. */
  async addWebhook(orgId: string, url: string) {
    const checked = checkUrlForm(url, this.deps.webhooks.allowLoopback);
    await resolveSafely(checked, this.deps.webhooks.allowLoopback);
    const secret = `whsec_${randomBytes(24).toString("base64")}`;
    return this.deps.ledger.billing.addWebhook({ id: newId("whe"), orgId, url: checked.toString(), secret, createdAt: this.now() });
  }

  /** Asks for the background work to run now (after a commit this process made). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.runOnce()
      .catch((error: unknown) => this.deps.logger.warn("billing background work failed; it runs again shortly", { error: String(error) }))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** One pass: signals into alerts and recharge attempts, attempts to Stripe, the anomaly scan (once a minute), deliveries. */
  async runOnce(): Promise<void> {
    const { ledger } = this.deps;
    const creditUsd = formatDecimal(this.deps.pricing.creditUsdValue);
    if (this.now() - this.lastScan >= ANOMALY_SCAN_MS) {
      this.lastScan = this.now();
      await ledger.billing.scanSpendAnomalies(ANOMALY_FACTOR, this.now());
    }
    const attempts: string[] = [];
    for (const signal of await ledger.billing.pendingSignals(50)) {
      attempts.push(...(await ledger.billing.processSignal(signal.orgId, signal.key, creditUsd, this.now())).attempts);
    }
    if (this.paymentsConfigured) {
      const due = new Set([...attempts, ...(await ledger.billing.dueRechargeAttempts(this.now())).map((a) => a.id)]);
      if (due.size > 0) {
        const [{ sendRecharge }, stripe] = await Promise.all([import("./recharge.js"), this.stripe()]);
        for (const id of due) await sendRecharge({ ledger, stripe, logger: this.deps.logger, now: this.now }, id);
      }
    }
    const outbox = { ledger, logger: this.deps.logger, owner: this.owner, ...this.deps.webhooks, now: this.now };
    for (let round = 0; round < 10 && !this.stopped && (await deliverDue(outbox)) > 0; round++);
  }

  /** Runs the background work every second until stop(). */
  start(): void {
    this.timer = setInterval(() => this.kick(), TICK_MS);
    this.timer.unref();
    this.kick();
  }

  /** Stops the loop and waits for a pass under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }
}
