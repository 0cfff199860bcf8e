/**
 * An organisation's billing page (dashboard and JSON API): packs for sale,
 * its auto-recharge, its recent alerts, its webhook endpoints (never their
 * secrets) and the deliveries that failed or are still retried.
 */
import { ALERT_TYPES, type Ledger } from "../ledger/index.js";
import { microToCredits } from "../money.js";
import type { BillingView } from "./views.js";

const RECENT = 25;

export async function billingView(ledger: Ledger, orgId: string, paymentsConfigured: boolean): Promise<BillingView> {
  const [packs, rule, alerts, webhooks, outbox] = await Promise.all([
    ledger.billing.listPacks(),
    ledger.billing.rechargeRule(orgId),
    ledger.billing.billingEvents(orgId, ALERT_TYPES, RECENT),
    ledger.billing.listWebhooks(orgId),
    ledger.billing.outbox(orgId, 200),
  ]);
  return {
    payments_configured: paymentsConfigured,
    packs: packs.map((p) => ({ name: p.name, credits: microToCredits(p.microCredits), usd: p.usdCents / 100 })),
    recharge: rule && {
      below_credits: microToCredits(rule.belowMicroCredits),
      to_credits: microToCredits(rule.targetMicroCredits),
      max_month_usd: rule.maxMonthUsdCents / 100,
      enabled: rule.enabled,
      disabled_reason: rule.disabledReason,
    },
    alerts: alerts.map((a) => {
      const body = JSON.parse(a.payload) as { data: Record<string, unknown> };
      return { id: a.id, type: a.type, at: new Date(a.createdAt).toISOString(), data: body.data };
    }),
    webhooks: webhooks.map((w) => ({ id: w.id, url: w.url, created_at: new Date(w.createdAt).toISOString() })),
    deliveries: {
      failed: outbox
        .filter((o) => o.failedAt !== null)
        .map((o) => ({
          event_id: o.eventId,
          type: o.type,
          endpoint_id: o.endpointId,
          attempts: o.attempts,
          last_error: o.lastError,
          at: new Date(o.failedAt!).toISOString(),
        })),
      retrying: outbox.filter((o) => o.deliveredAt === null && o.failedAt === null).length,
    },
  };
}
