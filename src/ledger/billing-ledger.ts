/**
 * The billing part of the Ledger, once for both stores (see
 * billing-types.ts): each method names its script and whether it writes.
 */
import type { BillingLedger, RechargeInput, StripeCommand, WebhookEndpointRecord, CheckoutRecord } from "./billing-types.js";
import * as events from "./core/billing-outbox.js";
import * as packs from "./core/billing-packs.js";
import * as recharge from "./core/billing-recharge.js";
import { applyStripeEvent } from "./core/billing-stripe.js";
import { parsePcts } from "./core/billing-watch.js";
import type { Engine } from "./engine.js";

export class ScriptedBillingLedger implements BillingLedger {
  constructor(private readonly engine: Engine) {}

  setPack(name: string, microCredits: bigint, usdCents: number, now: number) {
    return this.engine.write(() => packs.setPack(name, microCredits, usdCents, now));
  }
  listPacks() {
    return this.engine.read(() => packs.listPacks());
  }
  removePack(name: string) {
    return this.engine.write(() => packs.removePack(name));
  }

  startCheckout(record: Omit<CheckoutRecord, "sessionId" | "url" | "status" | "paymentIntent" | "completedAt">) {
    return this.engine.write(() => packs.startCheckout(record));
  }
  // Single statements safe to send twice: written on their own (see Engine.writeOne).
  async attachCheckoutSession(id: string, sessionId: string, url: string) {
    await this.engine.writeOne(packs.attachSessionSql, { sessionId, url, id });
  }
  customerOf(orgId: string) {
    return this.engine.read(() => packs.customerOf(orgId));
  }
  saveCustomer(orgId: string, customerId: string, now: number) {
    return this.engine.write(() => packs.saveCustomer(orgId, customerId, now));
  }
  applyStripeEvent(eventId: string, type: string, command: StripeCommand, now: number) {
    return this.engine.write(() => applyStripeEvent(eventId, type, command, now));
  }

  setRecharge(input: RechargeInput, now: number) {
    return this.engine.write(() => recharge.setRecharge(input, now));
  }
  rechargeOff(orgId: string, now: number) {
    return this.engine.write(() => recharge.rechargeOff(orgId, now));
  }
  async rechargeRule(orgId: string) {
    return (await this.engine.read(() => recharge.rechargeRule(orgId))) ?? null;
  }
  claimRechargeAttempt(id: string, leaseUntil: number, now: number) {
    return this.engine.write(() => recharge.claimRechargeAttempt(id, leaseUntil, now));
  }
  async rechargeCreated(id: string, paymentIntent: string, now: number) {
    await this.engine.writeOne(recharge.markCreatedSql, { pi: paymentIntent, now, id });
  }
  rechargeFailed(id: string, orgId: string, paymentIntent: string | null, code: string, message: string, now: number) {
    return this.engine.write(() => recharge.disableRecharge(id, orgId, paymentIntent, code, message, now));
  }
  dueRechargeAttempts(now: number) {
    return this.engine.read(() => recharge.dueRechargeAttempts(now));
  }

  setBalanceAlerts(orgId: string, pcts: number[], now: number) {
    return this.engine.write(() => packs.setBalanceAlerts(orgId, pcts, now));
  }
  async balanceAlertPcts(orgId: string) {
    return parsePcts(await this.engine.read(() => packs.balanceAlertPcts(orgId)));
  }
  pendingSignals(limit: number) {
    return this.engine.read(() => packs.pendingSignals(limit));
  }
  processSignal(orgId: string, key: string, creditUsdValue: string, now: number) {
    return this.engine.write(() => packs.processSignal(orgId, key, creditUsdValue, now));
  }
  scanSpendAnomalies(factor: number, now: number) {
    return this.engine.write(() => packs.scanSpendAnomalies(factor, now));
  }

  addWebhook(endpoint: Omit<WebhookEndpointRecord, "removedAt">) {
    return this.engine.write(() => events.addWebhook(endpoint));
  }
  listWebhooks(orgId?: string) {
    return this.engine.read(() => events.listWebhooks(orgId));
  }
  removeWebhook(id: string, now: number) {
    return this.engine.write(() => events.removeWebhook(id, now));
  }
  async claimDeliveries(owner: string, now: number, leaseMs: number, limit: number) {
    // Every instance polls every second: only take the write lock when something is due.
    if (!(await this.engine.read(() => events.deliveryDue(now)))) return [];
    return this.engine.write(() => events.claimDeliveries(owner, now, leaseMs, limit));
  }
  async deliveryDone(id: string, status: number, now: number) {
    await this.engine.writeOne(events.markDeliveredSql, { now, status, id });
  }
  async deliveryRetry(id: string, nextAttemptAt: number, status: number | null, error: string, failed: boolean, now: number) {
    await this.engine.writeOne(events.markRetrySql, { next: nextAttemptAt, status, error: error.slice(0, 500), failed: failed ? 1 : 0, now, id });
  }
  outbox(orgId: string | null, limit: number) {
    return this.engine.read(() => events.outbox(orgId, limit));
  }
  billingEvents(orgId: string | null, types: readonly string[] | null, limit: number) {
    return this.engine.read(() => events.billingEvents(orgId, types, limit));
  }
}
