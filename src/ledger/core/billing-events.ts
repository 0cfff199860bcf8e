/**
 * Billing events and their deliveries: an event row (the exact body every
 * endpoint receives) and one outbox row per live endpoint of the
 * organisation, written by the same script, so in the same transaction as
 * whatever caused the event. Nothing is sent from here: the outbox is
 * delivered by whichever instance claims it (see billing-outbox.ts).
 */
import { newId } from "../../ids.js";
import type { BillingEventType } from "../billing-types.js";
import { runQuery, together, type Query, type Script } from "../script.js";
import { p, statement } from "../sql.js";

const insertEvent = statement(
  "insert_billing_event",
  "INSERT INTO billing_events (id, org_id, type, payload, created_at) VALUES (@id, @orgId, @type, @payload, @now)",
  { id: p.text, orgId: p.text, type: p.text, payload: p.text, now: p.int },
);
/** One delivery per live endpoint of the organisation, due at once. */
const fanOut = statement(
  "fan_out_event",
  `INSERT INTO webhook_outbox (id, event_id, endpoint_id, org_id, attempts, next_attempt_at, created_at)
   SELECT CAST(@eventId AS TEXT) || '.' || id, CAST(@eventId AS TEXT), id, org_id, 0, CAST(@now AS BIGINT), CAST(@now AS BIGINT) FROM webhook_endpoints WHERE org_id = @orgId AND removed_at IS NULL`,
  { eventId: p.text, now: p.int, orgId: p.text },
);

/** The body of an event: what the endpoint receives, byte for byte, on every attempt. */
export function eventPayload(type: BillingEventType, data: Record<string, unknown>, now: number): string {
  return JSON.stringify({ type, timestamp: new Date(now).toISOString(), data });
}

/** The writes that record an event and queue it for every endpoint of the organisation, to send in a flight with others; and its id. */
export function eventQueries(orgId: string, type: BillingEventType, data: Record<string, unknown>, now: number): { id: string; queries: Query[] } {
  const id = newId("msg");
  const payload = eventPayload(type, { org_id: orgId, ...data }, now);
  return { id, queries: [runQuery(insertEvent, { id, orgId, type, payload, now }), runQuery(fanOut, { eventId: id, orgId, now })] };
}

/** Records an event and queues it for every endpoint of the organisation; its id (the webhook-id every delivery carries). */
export function* emitEvent(orgId: string, type: BillingEventType, data: Record<string, unknown>, now: number): Script<string> {
  const { id, queries } = eventQueries(orgId, type, data, now);
  yield* together(...queries);
  return id;
}
