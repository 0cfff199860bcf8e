/**
 * The billing tables' column lists (part of rows.ts's TABLE_COLUMNS, checked
 * the same way: by tsc against the schema's records, and by the row-decoder
 * test against each column's SQL name and mapping) and their decoders.
 */
import type {
  BillingEventRecord,
  CheckoutRecord,
  CreditPackRecord,
  OutboxRow,
  RechargeAttemptRecord,
  RechargeRuleRecord,
  StripeCustomerRecord,
  WebhookEndpointRecord,
} from "./billing-types.js";
import { decoder, type ColumnKinds, type Rec } from "./row-decoder.js";
import type { Row } from "./sql.js";

/** The billing tables the ledger decodes rows of, by their schema export name. */
export const BILLING_TABLE_COLUMNS = {
  creditPacks: { name: "text", microCredits: "money", usdCents: "int", createdAt: "int", updatedAt: "int" } satisfies ColumnKinds<Rec<"creditPacks">>,
  checkoutSessions: {
    id: "text",
    orgId: "text",
    pack: "text",
    microCredits: "money",
    usdCents: "int",
    sessionId: "text",
    url: "text",
    status: "text",
    paymentIntent: "text",
    createdAt: "int",
    completedAt: "int",
  } satisfies ColumnKinds<Rec<"checkoutSessions">>,
  stripeCustomers: { orgId: "text", customerId: "text", paymentMethodId: "text", updatedAt: "int" } satisfies ColumnKinds<Rec<"stripeCustomers">>,
  rechargeRules: {
    orgId: "text",
    belowMicroCredits: "money",
    targetMicroCredits: "money",
    maxMonthUsdCents: "int",
    enabled: "flag",
    disabledReason: "text",
    updatedAt: "int",
  } satisfies ColumnKinds<Rec<"rechargeRules">>,
  rechargeAttempts: {
    id: "text",
    orgId: "text",
    crossing: "text",
    microCredits: "money",
    usdCents: "int",
    status: "text",
    paymentIntent: "text",
    error: "text",
    leaseUntil: "int",
    createdAt: "int",
    updatedAt: "int",
  } satisfies ColumnKinds<Rec<"rechargeAttempts">>,
  billingEvents: { id: "text", orgId: "text", type: "text", payload: "text", createdAt: "int" } satisfies ColumnKinds<Rec<"billingEvents">>,
  webhookEndpoints: {
    id: "text",
    orgId: "text",
    url: "text",
    secret: "text",
    createdAt: "int",
    removedAt: "int",
  } satisfies ColumnKinds<Rec<"webhookEndpoints">>,
  webhookOutbox: {
    id: "text",
    eventId: "text",
    endpointId: "text",
    orgId: "text",
    attempts: "int",
    nextAttemptAt: "int",
    leaseUntil: "int",
    leaseOwner: "text",
    deliveredAt: "int",
    failedAt: "int",
    lastStatus: "int",
    lastError: "text",
    createdAt: "int",
  } satisfies ColumnKinds<Rec<"webhookOutbox">>,
} as const;

const C = BILLING_TABLE_COLUMNS;
const pack = decoder<Rec<"creditPacks">>(C.creditPacks);
const checkout = decoder<Rec<"checkoutSessions">>(C.checkoutSessions);
const customer = decoder<Rec<"stripeCustomers">>(C.stripeCustomers);
const rule = decoder<Rec<"rechargeRules">>(C.rechargeRules);
const attempt = decoder<Rec<"rechargeAttempts">>(C.rechargeAttempts);
const event = decoder<Rec<"billingEvents">>(C.billingEvents);
const endpoint = decoder<Rec<"webhookEndpoints">>(C.webhookEndpoints);
const outbox = decoder<Rec<"webhookOutbox">>(C.webhookOutbox);

export const toPack = (row: Row): CreditPackRecord => pack(row);
export const toCheckout = (row: Row): CheckoutRecord => checkout(row);
export const toCustomer = (row: Row): StripeCustomerRecord => customer(row);
export const toRechargeRule = (row: Row): RechargeRuleRecord => rule(row);
export const toRechargeAttempt = (row: Row): RechargeAttemptRecord => attempt(row);
export const toBillingEvent = (row: Row): BillingEventRecord => event(row);
export const toEndpoint = (row: Row): WebhookEndpointRecord => endpoint(row);
/** A listed delivery, with its event's type (joined). */
export const toOutbox = (row: Row): OutboxRow => ({ ...outbox(row), type: typeof row.type === "string" ? row.type : "" });
