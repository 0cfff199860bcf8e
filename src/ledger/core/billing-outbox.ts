/**
 * Outgoing-webhook endpoints and the outbox's deliveries. A delivery is
 * claimed with a lease (its attempt counted at the claim, so a process that
 * dies mid-send still counts it), then marked delivered, or rescheduled, or
 * failed once its 24 hours are over. Two instances never hold the same row
 * at once; a lease that runs out lets another take it (at-least-once).
 */
import { toBillingEvent, toEndpoint, toOutbox } from "../billing-rows.js";
import type { BillingEventRecord, OutboxDelivery, OutboxRow, WebhookEndpointRecord } from "../billing-types.js";
import { all, get, run, type Script } from "../script.js";
import { asNumber, idempotentStatement, p, statement } from "../sql.js";
import { requireWallet } from "./calls.js";

const insertEndpoint = statement(
  "insert_webhook_endpoint",
  "INSERT INTO webhook_endpoints (id, org_id, url, secret, created_at) VALUES (@id, @orgId, @url, @secret, @now)",
  { id: p.text, orgId: p.text, url: p.text, secret: p.text, now: p.int },
);
const listEndpoints = statement(
  "list_webhook_endpoints",
  "SELECT * FROM webhook_endpoints WHERE removed_at IS NULL AND (CAST(@orgId AS TEXT) IS NULL OR org_id = @orgId) ORDER BY org_id, created_at",
  { orgId: p.textOrNull },
  toEndpoint,
);
const removeEndpoint = statement("remove_webhook_endpoint", "UPDATE webhook_endpoints SET removed_at = @now WHERE id = @id AND removed_at IS NULL", {
  now: p.int,
  id: p.text,
});
/** Due rows, oldest first; PostgreSQL skips rows another instance is claiming this instant. */
const claim = statement(
  "claim_deliveries",
  {
    sqlite: `UPDATE webhook_outbox SET lease_until = @leaseUntil, lease_owner = @owner, attempts = attempts + 1
             WHERE id IN (SELECT id FROM webhook_outbox WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= @now
                            AND (lease_until IS NULL OR lease_until < @now) ORDER BY next_attempt_at LIMIT @limit)
             RETURNING id`,
    postgres: `UPDATE webhook_outbox SET lease_until = @leaseUntil, lease_owner = @owner, attempts = attempts + 1
               WHERE id IN (SELECT id FROM webhook_outbox WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= @now
                              AND (lease_until IS NULL OR lease_until < @now) ORDER BY next_attempt_at LIMIT @limit FOR UPDATE SKIP LOCKED)
               RETURNING id`,
  },
  { leaseUntil: p.int, owner: p.text, now: p.int, limit: p.int },
  (row) => String(row.id),
);
/** Is anything due? A read on the outbox's partial index, so an idle instance's poll takes no write lock. */
const anyDue = statement(
  "any_delivery_due",
  `SELECT 1 AS due FROM webhook_outbox WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= @now
     AND (lease_until IS NULL OR lease_until < @now) LIMIT 1`,
  { now: p.int },
  () => true,
);
const deliveryOf = statement(
  "delivery_of",
  `SELECT o.id, o.event_id, o.endpoint_id, o.org_id, o.attempts, o.created_at, w.url, w.secret, w.removed_at, e.payload
   FROM webhook_outbox o JOIN webhook_endpoints w ON w.id = o.endpoint_id JOIN billing_events e ON e.id = o.event_id WHERE o.id = @id`,
  { id: p.text },
  (row): OutboxDelivery => ({
    id: String(row.id),
    eventId: String(row.event_id),
    endpointId: String(row.endpoint_id),
    orgId: String(row.org_id),
    attempts: asNumber(row.attempts),
    createdAt: asNumber(row.created_at),
    url: String(row.url),
    secret: String(row.secret),
    endpointRemoved: row.removed_at !== null && row.removed_at !== undefined,
    payload: String(row.payload),
  }),
);
/** Sent again, it changes nothing: the row is no longer undelivered. */
export const markDeliveredSql = idempotentStatement(
  "delivery_done",
  "UPDATE webhook_outbox SET delivered_at = @now, last_status = @status, last_error = NULL, lease_until = NULL WHERE id = @id AND delivered_at IS NULL",
  { now: p.int, status: p.int, id: p.text },
);
/** Sets values given in full; sent again, it writes the same. */
export const markRetrySql = idempotentStatement(
  "delivery_retry",
  `UPDATE webhook_outbox SET next_attempt_at = @next, last_status = @status, last_error = @error, lease_until = NULL,
     failed_at = CASE WHEN @failed = 1 THEN CAST(@now AS BIGINT) ELSE NULL END
   WHERE id = @id AND delivered_at IS NULL`,
  { next: p.int, status: p.intOrNull, error: p.text, failed: p.flag, now: p.int, id: p.text },
);
const listOutbox = statement(
  "list_outbox",
  `SELECT o.*, e.type FROM webhook_outbox o JOIN billing_events e ON e.id = o.event_id
   WHERE CAST(@orgId AS TEXT) IS NULL OR o.org_id = @orgId ORDER BY o.created_at DESC LIMIT @limit`,
  { orgId: p.textOrNull, limit: p.int },
  toOutbox,
);
const listEvents = statement(
  "list_billing_events",
  "SELECT * FROM billing_events WHERE CAST(@orgId AS TEXT) IS NULL OR org_id = @orgId ORDER BY created_at DESC, id DESC LIMIT @limit",
  { orgId: p.textOrNull, limit: p.int },
  toBillingEvent,
);

export function* addWebhook(endpoint: Omit<WebhookEndpointRecord, "removedAt">): Script<WebhookEndpointRecord> {
  yield* requireWallet(endpoint.orgId);
  yield* run(insertEndpoint, { id: endpoint.id, orgId: endpoint.orgId, url: endpoint.url, secret: endpoint.secret, now: endpoint.createdAt });
  return { ...endpoint, removedAt: null };
}

export function listWebhooks(orgId?: string): Script<WebhookEndpointRecord[]> {
  return all(listEndpoints, { orgId: orgId ?? null });
}

export function* removeWebhook(id: string, now: number): Script<boolean> {
  return (yield* run(removeEndpoint, { now, id })) > 0;
}

export function* claimDeliveries(owner: string, now: number, leaseMs: number, limit: number): Script<OutboxDelivery[]> {
  const ids = yield* all(claim, { leaseUntil: now + leaseMs, owner, now, limit });
  const deliveries: OutboxDelivery[] = [];
  for (const id of ids) {
    const delivery = yield* get(deliveryOf, { id });
    if (delivery) deliveries.push(delivery);
  }
  return deliveries;
}

export function* deliveryDue(now: number): Script<boolean> {
  return (yield* get(anyDue, { now })) ?? false;
}

export function outbox(orgId: string | null, limit: number): Script<OutboxRow[]> {
  return all(listOutbox, { orgId, limit });
}

export function* billingEvents(orgId: string | null, types: readonly string[] | null, limit: number): Script<BillingEventRecord[]> {
  // Few types, a small page: filtered here rather than with a statement per combination of types.
  const rows = yield* all(listEvents, { orgId, limit: types ? limit * 4 : limit });
  return (types ? rows.filter((r) => types.includes(r.type)) : rows).slice(0, limit);
}
