/**
 * Delivering the outbox: claim due rows (a lease, so two instances do not
 * send the same row at once), send each, then mark it delivered or schedule
 * the next try. Backoff grows fivefold from ECN_WEBHOOK_RETRY_MS (default
 * 5 s, 25 s, 2 min, 10 min, 52 min, then every 4 h) until 24 hours after the
 * event, when the row is marked failed (the dashboard shows it). Delivery is
 * at least once: a process that dies after sending, before marking, sends
 * again after the lease, with the same webhook-id, which a receiver uses to
 * drop the duplicate.
 */
import type { Ledger } from "../ledger/index.js";
import type { Logger } from "../log.js";

const BATCH = 20;
export const DELIVERY_WINDOW_MS = 24 * 3_600_000;
const MAX_DELAY_MS = 4 * 3_600_000;

export interface OutboxDeps {
  ledger: Ledger;
  logger: Logger;
  owner: string;
  allowLoopback: boolean;
  retryMs: number;
  /** How long a receiver may take; a claim's lease is twice that, so a live sender always finishes first. */
  timeoutMs: number;
  now: () => number;
}

/** The wait before attempt n+1 after n failed attempts. */
export function retryDelay(attempts: number, retryMs: number): number {
  return Math.min(retryMs * 5 ** Math.max(0, attempts - 1), MAX_DELAY_MS);
}

/** Sends every due delivery once; how many were claimed. */
export async function deliverDue(deps: OutboxDeps): Promise<number> {
  const deliveries = await deps.ledger.billing.claimDeliveries(deps.owner, deps.now(), 2 * deps.timeoutMs, BATCH);
  if (deliveries.length === 0) return 0;
  // The signer (standardwebhooks) loads with the first delivery, not with every server.
  const { sendWebhook } = await import("./webhook-sender.js");
  await Promise.all(
    deliveries.map(async (delivery) => {
      if (delivery.endpointRemoved) {
        await deps.ledger.billing.deliveryRetry(delivery.id, deps.now(), null, "the endpoint was removed", true, deps.now());
        return;
      }
      const result = await sendWebhook(
        { url: delivery.url, secret: delivery.secret, eventId: delivery.eventId, payload: delivery.payload },
        { allowLoopback: deps.allowLoopback, timeoutMs: deps.timeoutMs, now: deps.now },
      );
      const now = deps.now();
      if (result.ok) return deps.ledger.billing.deliveryDone(delivery.id, result.status!, now);
      const next = now + retryDelay(delivery.attempts, deps.retryMs);
      const failed = next > delivery.createdAt + DELIVERY_WINDOW_MS;
      if (failed)
        deps.logger.warn("webhook delivery failed for 24 hours: given up", { endpoint: delivery.endpointId, event: delivery.eventId, error: result.error });
      await deps.ledger.billing.deliveryRetry(delivery.id, next, result.status, result.error ?? "failed", failed, now);
    }),
  );
  return deliveries.length;
}
