/**
 * What the ledger keeps about money coming in (packs, Stripe purchases,
 * auto-recharge, alerts, the outgoing-webhook outbox), and the operations
 * the billing service may ask of it. Every operation that checks and then
 * changes is one transaction, as everywhere in the ledger.
 */
import type * as schema from "./sqlite/schema.js";
import type { RowOf, WalletRecord } from "./types.js";

/** What an operator sells: a named number of credits for a price in US cents. */
export type CreditPackRecord = RowOf<typeof schema.creditPacks>;

/** A purchase started, with the pack's credits and price fixed at the moment of sale. */
export type CheckoutRecord = RowOf<typeof schema.checkoutSessions>;

/** An organisation's Stripe customer and the card it saved for off-session charges. */
export type StripeCustomerRecord = RowOf<typeof schema.stripeCustomers>;

/** An organisation's auto-recharge rule. */
export type RechargeRuleRecord = RowOf<typeof schema.rechargeRules>;

/** One off-session charge per balance crossing. */
export type RechargeAttemptRecord = RowOf<typeof schema.rechargeAttempts>;
export type RechargeStatus = RechargeAttemptRecord["status"];

/** Something that happened (an alert, a grant, a failed recharge): the body every webhook endpoint receives. */
export type BillingEventRecord = RowOf<typeof schema.billingEvents>;

export const BILLING_EVENT_TYPES = [
  "balance.low",
  "balance.depleted",
  "balance.recovered",
  "budget.threshold",
  "spend.anomaly",
  "credits.granted",
  "recharge.failed",
] as const;
export type BillingEventType = (typeof BILLING_EVENT_TYPES)[number];
/** The event types that are alerts (what `ecn-mcp alerts` and the dashboard list). */
export const ALERT_TYPES: readonly BillingEventType[] = [
  "balance.low",
  "balance.depleted",
  "balance.recovered",
  "budget.threshold",
  "spend.anomaly",
  "recharge.failed",
];

/** Where an organisation's events are sent, and the secret they are signed with. */
export type WebhookEndpointRecord = RowOf<typeof schema.webhookEndpoints>;

/** A claimed delivery: the outbox row with what it takes to send it. */
export interface OutboxDelivery {
  id: string;
  eventId: string;
  endpointId: string;
  orgId: string;
  attempts: number;
  createdAt: number;
  url: string;
  secret: string;
  endpointRemoved: boolean;
  payload: string;
}

/** A delivery as listed (without its lease), with its event's type. */
export type OutboxRow = Omit<RowOf<typeof schema.webhookOutbox>, "leaseUntil" | "leaseOwner"> & { type: string };

/** A Stripe event, already verified and read, as the ledger applies it. */
export type StripeCommand =
  | { kind: "grant_checkout"; checkoutId: string; sessionId: string; paymentIntent: string; customerId: string | null }
  | { kind: "grant_recharge"; attemptId: string; paymentIntent: string }
  | { kind: "save_card"; customerId: string; paymentMethodId: string }
  | { kind: "clawback"; paymentIntent: string; refundedCents?: number; disputedCents?: number }
  | { kind: "recharge_failed"; attemptId: string; paymentIntent: string | null; code: string; message: string }
  | { kind: "expire_checkout"; checkoutId: string };

export type StripeApplied =
  { kind: "applied"; granted: { orgId: string; microCredits: bigint; wallet: WalletRecord } | null; signalled: string[] } | { kind: "duplicate" };

/** What processing a signal decided: recharge attempts to send now (after the commit). */
export interface SignalOutcome {
  attempts: string[];
  events: number;
}

export interface RechargeInput {
  orgId: string;
  belowMicroCredits: bigint;
  targetMicroCredits: bigint;
  maxMonthUsdCents: number;
}

/** The billing part of the ledger: see core/billing-*.ts. */
export interface BillingLedger {
  setPack(name: string, microCredits: bigint, usdCents: number, now: number): Promise<CreditPackRecord>;
  listPacks(): Promise<CreditPackRecord[]>;
  removePack(name: string): Promise<boolean>;

  startCheckout(record: Omit<CheckoutRecord, "sessionId" | "url" | "status" | "paymentIntent" | "completedAt">): Promise<CheckoutRecord>;
  attachCheckoutSession(id: string, sessionId: string, url: string): Promise<void>;
  customerOf(orgId: string): Promise<StripeCustomerRecord | null>;
  /** Records the organisation's Stripe customer; the first one recorded wins (returned). */
  saveCustomer(orgId: string, customerId: string, now: number): Promise<StripeCustomerRecord>;
  /** Applies a verified Stripe event once; throws LedgerRefusal("not_found") for what it does not know. */
  applyStripeEvent(eventId: string, type: string, command: StripeCommand, now: number): Promise<StripeApplied>;

  setRecharge(input: RechargeInput, now: number): Promise<RechargeRuleRecord>;
  rechargeOff(orgId: string, now: number): Promise<boolean>;
  rechargeRule(orgId: string): Promise<RechargeRuleRecord | null>;
  /** Leases an attempt for sending (pending, or sending whose lease ran out); null when another instance has it. */
  claimRechargeAttempt(id: string, leaseUntil: number, now: number): Promise<RechargeAttemptRecord | null>;
  rechargeCreated(id: string, paymentIntent: string, now: number): Promise<void>;
  /** A declined charge: the attempt fails, auto-recharge turns off, recharge.failed goes out (once). */
  rechargeFailed(id: string, orgId: string, paymentIntent: string | null, code: string, message: string, now: number): Promise<boolean>;
  dueRechargeAttempts(now: number): Promise<RechargeAttemptRecord[]>;

  setBalanceAlerts(orgId: string, pcts: number[], now: number): Promise<void>;
  balanceAlertPcts(orgId: string): Promise<number[]>;
  pendingSignals(limit: number): Promise<{ orgId: string; key: string }[]>;
  processSignal(orgId: string, key: string, creditUsdValue: string, now: number): Promise<SignalOutcome>;
  /** Records today's spend anomaly of each organisation whose spend passed `factor` times its 7-day average (once a day). */
  scanSpendAnomalies(factor: number, now: number): Promise<string[]>;

  addWebhook(endpoint: Omit<WebhookEndpointRecord, "removedAt">): Promise<WebhookEndpointRecord>;
  listWebhooks(orgId?: string): Promise<WebhookEndpointRecord[]>;
  removeWebhook(id: string, now: number): Promise<boolean>;
  claimDeliveries(owner: string, now: number, leaseMs: number, limit: number): Promise<OutboxDelivery[]>;
  deliveryDone(id: string, status: number, now: number): Promise<void>;
  deliveryRetry(id: string, nextAttemptAt: number, status: number | null, error: string, failed: boolean, now: number): Promise<void>;
  outbox(orgId: string | null, limit: number): Promise<OutboxRow[]>;
  billingEvents(orgId: string | null, types: readonly string[] | null, limit: number): Promise<BillingEventRecord[]>;
}
