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
 */
import { randomBytes } from "node:crypto";
import { EcnError } from "../errors.js";
import { newId } from "../ids.js";
import type { Ledger } from "../ledger/index.js";
import type { Logger } from "../log.js";
import type { PricingConfig } from "../metering/pricing.js";
import type { OrgRef } from "../metering/types.js";
import { formatDecimal } from "../money.js";
import { createCheckout, type CheckoutView } from "./checkout.js";
import { deliverDue } from "./outbox.js";
import { sendRecharge } from "./recharge.js";
import { checkUrlForm, resolveSafely } from "./ssrf.js";
import { createStripeClient, type StripeClient } from "./stripe-client.js";
import { receiveStripeWebhook, type WebhookAnswer } from "./stripe-webhook.js";

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
  stripe: { secretKey: string | undefined; webhookSecret: string | undefined; baseUrl: string };
  webhooks: { allowLoopback: boolean; retryMs: number; timeoutMs: number };
  publicUrl: string | undefined;
  now?: () => number;
}

/** Daily spend above this many times the 7-day average is an anomaly. */
const ANOMALY_FACTOR = 3;
const TICK_MS = 1_000;
const ANOMALY_SCAN_MS = 60_000;

export class Billing implements BuyCredits {
  readonly paymentsConfigured: boolean;
  private readonly stripe: StripeClient | null;
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
    this.stripe = deps.stripe.secretKey ? createStripeClient({ secretKey: deps.stripe.secretKey, baseUrl: deps.stripe.baseUrl }) : null;
    this.paymentsConfigured = this.stripe !== null;
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

  async checkout(org: OrgRef, pack: string | undefined, returnTo?: ReturnUrls): Promise<CheckoutView> {
    if (!this.stripe) throw new EcnError("provider_not_configured", "payments are not configured on this server: the operator sets ECN_STRIPE_SECRET_KEY");
    return createCheckout({ ledger: this.deps.ledger, stripe: this.stripe, now: this.now }, org, pack, returnTo ?? this.returnUrls(org.id));
  }

  async receiveStripeWebhook(raw: Buffer, signature: string | undefined): Promise<WebhookAnswer> {
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
    if (this.stripe) {
      const due = new Set([...attempts, ...(await ledger.billing.dueRechargeAttempts(this.now())).map((a) => a.id)]);
      for (const id of due) await sendRecharge({ ledger, stripe: this.stripe, logger: this.deps.logger, now: this.now }, id);
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
