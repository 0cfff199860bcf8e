/**
 * The SQLite store's tables for money coming in: credit packs, Stripe
 * checkout sessions, customers, processed events and payments, auto-recharge
 * rules and attempts, alerts, and the outgoing-webhook outbox. Re-exported by
 * schema.ts, so drizzle-kit and the row decoders see one schema.
 *
 * Credits arrive only as `credit_transactions` grants keyed by their Stripe
 * reference (external_ref, unique), so a session or a recharge grants once
 * however many deliveries reach however many instances.
 */
import { sql } from "drizzle-orm";
import { index, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { BillingEventType } from "../billing-types.js";
import { flag, int, money } from "./columns.js";
import { orgs } from "./schema.js";

/** What an operator sells: a named number of credits for a price in US cents. */
export const creditPacks = sqliteTable("credit_packs", {
  name: text("name").primaryKey(),
  microCredits: money("micro_credits").notNull(),
  usdCents: int("usd_cents").notNull(),
  createdAt: int("created_at").notNull(),
  updatedAt: int("updated_at").notNull(),
});

/**
 * A purchase started (`chk_…`, Stripe's client_reference_id), written before
 * Stripe is asked, so the webhook always finds what was bought and for whom;
 * the pack's credits and price are fixed here, at the moment of sale.
 */
export const checkoutSessions = sqliteTable(
  "checkout_sessions",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    pack: text("pack").notNull(),
    microCredits: money("micro_credits").notNull(),
    usdCents: int("usd_cents").notNull(),
    /** Stripe's Checkout Session id (cs_…), once Stripe created it. */
    sessionId: text("session_id").unique(),
    url: text("url"),
    /** open, complete (credits granted), expired. */
    status: text("status", { enum: ["open", "complete", "expired"] }).notNull(),
    paymentIntent: text("payment_intent"),
    createdAt: int("created_at").notNull(),
    completedAt: int("completed_at"),
  },
  (t) => [index("checkout_sessions_org_idx").on(t.orgId, t.createdAt)],
);

/** One Stripe customer per organisation, and the card it saved for off-session charges. */
export const stripeCustomers = sqliteTable("stripe_customers", {
  orgId: text("org_id")
    .primaryKey()
    .references(() => orgs.id),
  customerId: text("customer_id").notNull().unique(),
  paymentMethodId: text("payment_method_id"),
  updatedAt: int("updated_at").notNull(),
});

/** Stripe events already applied: a second delivery is answered at once and changes nothing. */
export const stripeEvents = sqliteTable("stripe_events", {
  id: text("id").primaryKey(),
  type: text("type").notNull(),
  receivedAt: int("received_at").notNull(),
});

/**
 * Every payment that granted credits, by PaymentIntent: what it bought, and
 * how much of it was refunded or lost in a dispute (so a refund claws back
 * its share of the credits once, whatever order the events come in).
 */
export const payments = sqliteTable(
  "payments",
  {
    paymentIntent: text("payment_intent").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    /** checkout or recharge. */
    source: text("source", { enum: ["checkout", "recharge"] }).notNull(),
    /** The chk_… or rch_… it came from. */
    sourceId: text("source_id").notNull(),
    microCredits: money("micro_credits").notNull(),
    usdCents: int("usd_cents").notNull(),
    refundedCents: int("refunded_cents").notNull(),
    disputedCents: int("disputed_cents").notNull(),
    clawedBackMicroCredits: money("clawed_back_micro_credits").notNull(),
    createdAt: int("created_at").notNull(),
  },
  (t) => [index("payments_org_idx").on(t.orgId, t.createdAt)],
);

/** An organisation's auto-recharge: below `below`, buy up to `target`, at most this much a calendar month. */
export const rechargeRules = sqliteTable("recharge_rules", {
  orgId: text("org_id")
    .primaryKey()
    .references(() => orgs.id),
  belowMicroCredits: money("below_micro_credits").notNull(),
  targetMicroCredits: money("target_micro_credits").notNull(),
  maxMonthUsdCents: int("max_month_usd_cents").notNull(),
  enabled: flag("enabled").notNull(),
  /** Why it was turned off (a declined card), shown to the operator. */
  disabledReason: text("disabled_reason"),
  updatedAt: int("updated_at").notNull(),
});

/**
 * One off-session charge per balance crossing: `crossing` (unique) is the
 * organisation and the crossing, and the Stripe idempotency key is derived
 * from it, so however many settles and instances see the crossing, one
 * PaymentIntent is made.
 */
export const rechargeAttempts = sqliteTable(
  "recharge_attempts",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    crossing: text("crossing").notNull().unique(),
    microCredits: money("micro_credits").notNull(),
    usdCents: int("usd_cents").notNull(),
    /** pending (not yet sent), sending (leased to an instance), created, succeeded, failed. */
    status: text("status", { enum: ["pending", "sending", "created", "succeeded", "failed"] }).notNull(),
    paymentIntent: text("payment_intent").unique(),
    error: text("error"),
    leaseUntil: int("lease_until"),
    createdAt: int("created_at").notNull(),
    updatedAt: int("updated_at").notNull(),
  },
  (t) => [index("recharge_attempts_org_idx").on(t.orgId, t.createdAt)],
);

/**
 * A crossing noticed inside a money transaction (a settle took the balance
 * under the wallet's watch level, a hold took a budget past 80% or 100%, a
 * day's spend passed 3x the average), keyed so it is written once. A
 * processor turns each into alerts, outbox rows and recharge attempts, in one
 * transaction, and marks it processed; one that a dead process left is taken
 * up by the next sweep.
 */
export const billingSignals = sqliteTable(
  "billing_signals",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    key: text("key").notNull(),
    kind: text("kind", { enum: ["balance", "budget", "anomaly"] }).notNull(),
    dataJson: text("data_json").notNull(),
    createdAt: int("created_at").notNull(),
    processedAt: int("processed_at"),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.key] }),
    index("billing_signals_pending_idx")
      .on(t.createdAt)
      .where(sql`processed_at IS NULL`),
  ],
);

/** Balance alert levels that fired and have not yet recovered: a level fires again only after its row is gone. */
export const alertStates = sqliteTable(
  "alert_states",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    key: text("key").notNull(),
    firedAt: int("fired_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.key] })],
);

/** An organisation's balance alert levels, percent of its last top-up (default 20 and 5). */
export const alertSettings = sqliteTable("alert_settings", {
  orgId: text("org_id")
    .primaryKey()
    .references(() => orgs.id),
  balancePcts: text("balance_pcts").notNull(),
  updatedAt: int("updated_at").notNull(),
});

/** What happened (alerts, credits granted, failed recharges): the body every webhook endpoint receives. Append-only. */
export const billingEvents = sqliteTable(
  "billing_events",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    type: text("type").$type<BillingEventType>().notNull(),
    /** The exact JSON body sent: {"type", "timestamp", "data"}. */
    payload: text("payload").notNull(),
    createdAt: int("created_at").notNull(),
  },
  (t) => [index("billing_events_org_idx").on(t.orgId, t.createdAt)],
);

/** Where an organisation's events are sent, and the secret they are signed with. */
export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    url: text("url").notNull(),
    /** The whsec_… signing secret: the sender must hold it to sign (see docs/payments.md). */
    secret: text("secret").notNull(),
    createdAt: int("created_at").notNull(),
    removedAt: int("removed_at"),
  },
  (t) => [index("webhook_endpoints_org_idx").on(t.orgId)],
);

/**
 * One delivery per event and endpoint, written in the transaction that wrote
 * the event. Any instance may claim a due row for a short lease; a row is
 * retried with backoff until it is delivered or 24 hours have passed.
 */
export const webhookOutbox = sqliteTable(
  "webhook_outbox",
  {
    id: text("id").primaryKey(),
    eventId: text("event_id")
      .notNull()
      .references(() => billingEvents.id),
    endpointId: text("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    attempts: int("attempts").notNull(),
    nextAttemptAt: int("next_attempt_at").notNull(),
    leaseUntil: int("lease_until"),
    leaseOwner: text("lease_owner"),
    deliveredAt: int("delivered_at"),
    failedAt: int("failed_at"),
    lastStatus: int("last_status"),
    lastError: text("last_error"),
    createdAt: int("created_at").notNull(),
  },
  (t) => [
    index("webhook_outbox_due_idx")
      .on(t.nextAttemptAt)
      .where(sql`delivered_at IS NULL AND failed_at IS NULL`),
    index("webhook_outbox_org_idx").on(t.orgId, t.createdAt),
  ],
);
