/**
 * Webhook delivery as Stripe does it: the event as pretty-printed JSON,
 * signed `Stripe-Signature: t=UNIX,v1=HEX` with HEX = HMAC-SHA256(endpoint
 * secret, "{t}.{raw body}"), at least once, retried with backoff when the
 * endpoint does not answer 2xx. Knobs make it as unkind as Stripe may be:
 * every event delivered several times, out of order, or late (signed with an
 * old timestamp); or held until released.
 */
import { createHmac } from "node:crypto";
import type { StripeObject } from "./stripe-state.js";

export interface StripeEvent {
  id: string;
  object: "event";
  api_version: string;
  created: number;
  data: { object: StripeObject };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

export interface StripeDelivery {
  eventId: string;
  type: string;
  attempt: number;
  status: number | "error";
  /** The t= of the signature. */
  signedAt: number;
}

export interface WebhookKnobs {
  /** Where events go (null: nowhere yet, events wait). */
  url: string | null;
  /** Each event is delivered this many times (concurrently), as Stripe may. */
  duplicates: number;
  /** Events queued together are delivered newest first. */
  outOfOrder: boolean;
  /** Signatures carry a timestamp this many seconds old (a late or replayed delivery). */
  staleSeconds: number;
  /** Queue events without delivering them until release(). */
  hold: boolean;
  /** First retry delay after a failed delivery (doubles each time); Stripe retries for days, the simulator this many times. */
  retryDelayMs: number;
  maxAttempts: number;
}

/** Signs a payload exactly as Stripe does. */
export function stripeSignature(secret: string, payload: string, timestamp: number): string {
  const v1 = createHmac("sha256", secret).update(`${timestamp}.${payload}`, "utf8").digest("hex");
  return `t=${timestamp},v1=${v1}`;
}

export class WebhookSender {
  readonly deliveries: StripeDelivery[] = [];
  readonly knobs: WebhookKnobs = { url: null, duplicates: 1, outOfOrder: false, staleSeconds: 0, hold: false, retryDelayMs: 200, maxAttempts: 6 };
  private queue: StripeEvent[] = [];
  private scheduled = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly waits = new Map<NodeJS.Timeout, () => void>();
  private closed = false;

  constructor(private readonly secret: string) {}

  enqueue(event: StripeEvent): void {
    this.queue.push(event);
    if (this.scheduled || this.knobs.hold) return;
    this.scheduled = true;
    // Events of one API request go out together (so out-of-order can reorder them).
    setImmediate(() => this.flush());
  }

  /** Delivers what is queued (held events included). */
  release(): void {
    this.scheduled = false;
    this.flush(true);
  }

  private flush(force = false): void {
    this.scheduled = false;
    if ((this.knobs.hold && !force) || !this.knobs.url || this.closed) return;
    const batch = this.knobs.outOfOrder ? this.queue.reverse() : this.queue;
    this.queue = [];
    for (const event of batch) for (let i = 0; i < this.knobs.duplicates; i++) this.track(this.deliver(event, 1));
  }

  private track(delivery: Promise<void>): void {
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  private async deliver(event: StripeEvent, attempt: number): Promise<void> {
    const url = this.knobs.url;
    if (!url || this.closed) return;
    const payload = JSON.stringify(event, null, 2);
    const signedAt = Math.floor(Date.now() / 1000) - this.knobs.staleSeconds;
    let status: number | "error";
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json; charset=utf-8",
          "stripe-signature": stripeSignature(this.secret, payload, signedAt),
          "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        },
        body: payload,
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      status = response.status;
    } catch {
      status = "error";
    }
    this.deliveries.push({ eventId: event.id, type: event.type, attempt, status, signedAt });
    if (typeof status === "number" && status >= 200 && status < 300) return;
    if (attempt >= this.knobs.maxAttempts || this.closed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => (this.waits.delete(timer), resolve()), this.knobs.retryDelayMs * 2 ** (attempt - 1));
      this.waits.set(timer, resolve);
    });
    await this.deliver(event, attempt + 1);
  }

  /** Resolves once every delivery under way (retries included) has ended. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  close(): void {
    this.closed = true;
    for (const [timer, resolve] of this.waits) {
      clearTimeout(timer);
      resolve();
    }
    this.waits.clear();
  }
}
