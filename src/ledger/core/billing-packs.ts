/**
 * Credit packs, checkout records, Stripe customers, alert settings, and the
 * signals queue: what the billing service reads and writes around a
 * purchase, and the claim that turns a signal into alerts once.
 */
import { microToCredits } from "../../money.js";
import { toCustomer, toPack } from "../billing-rows.js";
import type { CheckoutRecord, CreditPackRecord, SignalOutcome, StripeCustomerRecord } from "../billing-types.js";
import { LedgerRefusal } from "../errors.js";
import { all, get, run, type Script } from "../script.js";
import { asBigInt, idempotentStatement, p, statement } from "../sql.js";
import { emitEvent } from "./billing-events.js";
import { processBalance, rewatch } from "./billing-watch.js";
import { requireWallet } from "./calls.js";

const DAY_MS = 86_400_000;

const upsertPack = statement(
  "upsert_pack",
  `INSERT INTO credit_packs (name, micro_credits, usd_cents, created_at, updated_at) VALUES (@name, @micro, @cents, @now, @now)
   ON CONFLICT (name) DO UPDATE SET micro_credits = excluded.micro_credits, usd_cents = excluded.usd_cents, updated_at = excluded.updated_at`,
  { name: p.text, micro: p.money, cents: p.int, now: p.int },
);
const packByName = statement("pack_by_name", "SELECT * FROM credit_packs WHERE name = @name", { name: p.text }, toPack);
const listPacksSql = statement("list_packs", "SELECT * FROM credit_packs ORDER BY micro_credits, name", {}, toPack);
const deletePack = statement("delete_pack", "DELETE FROM credit_packs WHERE name = @name", { name: p.text });
const insertCheckout = statement(
  "insert_checkout",
  `INSERT INTO checkout_sessions (id, org_id, pack, micro_credits, usd_cents, status, created_at)
   VALUES (@id, @orgId, @pack, @micro, @cents, 'open', @now)`,
  { id: p.text, orgId: p.text, pack: p.text, micro: p.money, cents: p.int, now: p.int },
);
/** Sets values given in full; sent again, it writes the same. */
export const attachSessionSql = idempotentStatement(
  "attach_checkout_session",
  "UPDATE checkout_sessions SET session_id = @sessionId, url = @url WHERE id = @id",
  { sessionId: p.text, url: p.text, id: p.text },
);
const customerByOrg = statement("customer_by_org", "SELECT * FROM stripe_customers WHERE org_id = @orgId", { orgId: p.text }, toCustomer);
const insertCustomer = statement(
  "insert_customer",
  "INSERT INTO stripe_customers (org_id, customer_id, updated_at) VALUES (@orgId, @customerId, @now) ON CONFLICT (org_id) DO NOTHING",
  { orgId: p.text, customerId: p.text, now: p.int },
);
const upsertAlertPcts = statement(
  "upsert_alert_pcts",
  `INSERT INTO alert_settings (org_id, balance_pcts, updated_at) VALUES (@orgId, @pcts, @now)
   ON CONFLICT (org_id) DO UPDATE SET balance_pcts = excluded.balance_pcts, updated_at = excluded.updated_at`,
  { orgId: p.text, pcts: p.text, now: p.int },
);
const alertPcts = statement("alert_pcts", "SELECT balance_pcts FROM alert_settings WHERE org_id = @orgId", { orgId: p.text }, (row) =>
  String(row.balance_pcts),
);
const clearBalanceAlerts = statement("clear_balance_alerts", "DELETE FROM alert_states WHERE org_id = @orgId AND key LIKE 'balance:%'", { orgId: p.text });
const pending = statement(
  "pending_signals",
  "SELECT org_id, key FROM billing_signals WHERE processed_at IS NULL ORDER BY created_at LIMIT @limit",
  { limit: p.int },
  (row) => ({
    orgId: String(row.org_id),
    key: String(row.key),
  }),
);
const claimSignal = statement(
  "claim_signal",
  "UPDATE billing_signals SET processed_at = @now WHERE org_id = @orgId AND key = @key AND processed_at IS NULL RETURNING kind, data_json",
  { now: p.int, orgId: p.text, key: p.text },
  (row) => ({ kind: String(row.kind), data: JSON.parse(String(row.data_json)) as Record<string, unknown> }),
);
/** Each organisation's metered spend today and over the 7 days before (budgets' measure: charges, or cost in self_host). */
const spendWeek = statement(
  "spend_week",
  `SELECT org_id, sum(CASE WHEN day = @today THEN metered_micro_credits ELSE 0 END) AS today,
     sum(CASE WHEN day < @today THEN metered_micro_credits ELSE 0 END) AS week
   FROM usage_daily WHERE day >= @weekStart GROUP BY org_id`,
  { today: p.int, weekStart: p.int },
  (row) => ({ orgId: String(row.org_id), today: asBigInt(row.today), week: asBigInt(row.week) }),
);
const insertAnomaly = statement(
  "insert_anomaly_signal",
  "INSERT INTO billing_signals (org_id, key, kind, data_json, created_at) VALUES (@orgId, @key, 'anomaly', @data, @now) ON CONFLICT DO NOTHING",
  { orgId: p.text, key: p.text, data: p.text, now: p.int },
);

export function* setPack(name: string, micro: bigint, cents: number, now: number): Script<CreditPackRecord> {
  yield* run(upsertPack, { name, micro, cents, now });
  return (yield* get(packByName, { name }))!;
}

export const listPacks = (): Script<CreditPackRecord[]> => all(listPacksSql);

export function* removePack(name: string): Script<boolean> {
  return (yield* run(deletePack, { name })) > 0;
}

export function* startCheckout(record: Omit<CheckoutRecord, "sessionId" | "url" | "status" | "paymentIntent" | "completedAt">): Script<CheckoutRecord> {
  yield* requireWallet(record.orgId);
  yield* run(insertCheckout, {
    id: record.id,
    orgId: record.orgId,
    pack: record.pack,
    micro: record.microCredits,
    cents: record.usdCents,
    now: record.createdAt,
  });
  return { ...record, sessionId: null, url: null, status: "open", paymentIntent: null, completedAt: null };
}

export function* customerOf(orgId: string): Script<StripeCustomerRecord | null> {
  return (yield* get(customerByOrg, { orgId })) ?? null;
}

export function* saveCustomer(orgId: string, customerId: string, now: number): Script<StripeCustomerRecord> {
  yield* run(insertCustomer, { orgId, customerId, now });
  return (yield* get(customerByOrg, { orgId }))!;
}

export function* setBalanceAlerts(orgId: string, pcts: number[], now: number): Script<void> {
  if (pcts.some((p) => !Number.isInteger(p) || p < 1 || p > 100))
    throw new LedgerRefusal("out_of_range", "balance alert levels are whole percents from 1 to 100");
  yield* requireWallet(orgId, true);
  yield* run(upsertAlertPcts, { orgId, pcts: [...new Set(pcts)].sort((a, b) => b - a).join(","), now });
  yield* run(clearBalanceAlerts, { orgId });
  yield* rewatch(orgId, now);
}

export function* balanceAlertPcts(orgId: string): Script<string | undefined> {
  return yield* get(alertPcts, { orgId });
}

export const pendingSignals = (limit: number) => all(pending, { limit });

/** Turns one signal into its alerts (and recharge attempt), once: whoever claims it first does it. */
export function* processSignal(orgId: string, key: string, creditUsd: string, now: number): Script<SignalOutcome> {
  const signal = yield* get(claimSignal, { now, orgId, key });
  if (!signal) return { attempts: [], events: 0 };
  if (signal.kind === "balance") return { attempts: yield* processBalance(orgId, now, creditUsd), events: 1 };
  if (signal.kind === "budget") {
    const d = signal.data;
    yield* emitEvent(
      orgId,
      "budget.threshold",
      {
        budget_id: d.budget_id,
        feature: d.feature,
        period: d.period,
        hard: d.hard,
        percent: d.percent,
        period_start: new Date(Number(d.period_start)).toISOString(),
        used_credits: microToCredits(BigInt(String(d.used_micro_credits))),
        limit_credits: microToCredits(BigInt(String(d.limit_micro_credits))),
      },
      now,
    );
  } else yield* emitEvent(orgId, "spend.anomaly", signal.data, now);
  return { attempts: [], events: 1 };
}

export function* scanSpendAnomalies(factor: number, now: number): Script<string[]> {
  const today = now - (now % DAY_MS);
  const rows = yield* all(spendWeek, { today, weekStart: today - 7 * DAY_MS });
  const signalled: string[] = [];
  for (const row of rows) {
    // today > factor x (week / 7), in integers; no history means no average to compare with.
    if (row.week <= 0n || row.today * 7n <= BigInt(factor) * row.week) continue;
    const data = {
      day: new Date(today).toISOString().slice(0, 10),
      spend_credits: microToCredits(row.today),
      average_7d_credits: microToCredits(row.week / 7n),
      factor,
    };
    const inserted = yield* run(insertAnomaly, { orgId: row.orgId, key: `anomaly:${today}`, data: JSON.stringify(data), now });
    if (inserted > 0) signalled.push(row.orgId);
  }
  return signalled;
}
