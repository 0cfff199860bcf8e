/** Decoders of the billing tables' rows (see rows.ts), narrowed to the records billing-types.ts names. */
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
import { tableDecoder } from "./rows.js";
import type { Row } from "./sql.js";
import * as t from "./sqlite/schema.js";

const pack = tableDecoder(t.creditPacks);
const checkout = tableDecoder(t.checkoutSessions);
const customer = tableDecoder(t.stripeCustomers);
const rule = tableDecoder(t.rechargeRules);
const attempt = tableDecoder(t.rechargeAttempts);
const event = tableDecoder(t.billingEvents);
const endpoint = tableDecoder(t.webhookEndpoints);
const outbox = tableDecoder(t.webhookOutbox);

export const toPack = (row: Row): CreditPackRecord => pack(row);
export const toCheckout = (row: Row): CheckoutRecord => checkout(row);
export const toCustomer = (row: Row): StripeCustomerRecord => customer(row);
export const toRechargeRule = (row: Row): RechargeRuleRecord => rule(row);
export const toRechargeAttempt = (row: Row): RechargeAttemptRecord => attempt(row);
export const toBillingEvent = (row: Row): BillingEventRecord => {
  const record = event(row);
  return { ...record, type: record.type as BillingEventRecord["type"] };
};
export const toEndpoint = (row: Row): WebhookEndpointRecord => endpoint(row);
export const toOutbox = (row: Row): OutboxRow => ({ ...outbox(row), type: typeof row.type === "string" ? row.type : "" });
