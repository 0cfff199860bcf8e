/**
 * The dashboard's reads, once for both stores. Every figure over days comes
 * from the daily rollups (usage_daily, usage_model_daily, refusals_daily),
 * so a page costs the same over a thousand events or a million.
 */
import type { Feature, PaidProvider } from "../../features.js";
import type {
  BalanceDay,
  CallWithCharge,
  DashboardSession,
  DayWindow,
  FeatureDay,
  MarginDay,
  ModelSpend,
  OrgSpend,
  ReconcileRun,
  RefusalDay,
} from "../dashboard-types.js";
import { toCall, toReconcileRun, toSession } from "../rows.js";
import { all, get, run, type Script } from "../script.js";
import { asBigInt, asNumber, idempotentStatement, p, statement } from "../sql.js";

const ORG = "(CAST(@orgId AS TEXT) IS NULL OR org_id = @orgId)";
/** A window of days, for one organisation or (null) all. */
const DAYS = { fromDay: p.int, toDay: p.int, orgId: p.textOrNull };

const orgSpend = statement(
  "dashboard_org_spend",
  `SELECT org_id, sum(CASE WHEN day >= @today THEN charged_micro_credits ELSE 0 END) AS today,
          sum(CASE WHEN day >= @week THEN charged_micro_credits ELSE 0 END) AS week, sum(charged_micro_credits) AS month
     FROM usage_daily WHERE day >= @month AND ${ORG} GROUP BY org_id`,
  { today: p.int, week: p.int, month: p.int, orgId: p.textOrNull },
  (row): OrgSpend => ({ orgId: String(row.org_id), todayMicroCredits: asBigInt(row.today), week: asBigInt(row.week), month: asBigInt(row.month) }),
);

const featureDays = statement(
  "dashboard_feature_days",
  `SELECT day, feature, sum(calls) AS calls, sum(cost_nano_usd) AS cost, sum(charged_micro_credits) AS charged
     FROM usage_daily WHERE day >= @fromDay AND day < @toDay AND ${ORG} GROUP BY day, feature ORDER BY day, feature`,
  DAYS,
  (row): FeatureDay => ({
    day: asNumber(row.day),
    feature: row.feature as Feature,
    calls: asNumber(row.calls),
    costNanoUsd: asBigInt(row.cost),
    chargedMicroCredits: asBigInt(row.charged),
  }),
);

/** Hosted spend per day and credit value: revenue is each day's charge at the credit value it was charged at. */
const marginDays = statement(
  "dashboard_margin_days",
  `SELECT day, credit_usd_value, sum(cost_nano_usd) AS cost, sum(charged_micro_credits) AS charged FROM usage_daily
    WHERE deployment_mode = 'hosted' AND day >= @fromDay AND day < @toDay AND ${ORG} GROUP BY day, credit_usd_value ORDER BY day`,
  DAYS,
  (row): MarginDay => ({
    day: asNumber(row.day),
    creditUsdValue: String(row.credit_usd_value),
    costNanoUsd: asBigInt(row.cost),
    chargedMicroCredits: asBigInt(row.charged),
  }),
);

const modelSpend = statement(
  "dashboard_model_spend",
  `SELECT provider, model, sum(events) AS events, sum(cost_nano_usd) AS cost, sum(charged_micro_credits) AS charged
     FROM usage_model_daily WHERE day >= @fromDay AND day < @toDay AND ${ORG}
    GROUP BY provider, model ORDER BY sum(charged_micro_credits) DESC, provider, model`,
  DAYS,
  (row): ModelSpend => ({
    provider: row.provider as PaidProvider,
    model: String(row.model),
    events: asNumber(row.events),
    costNanoUsd: asBigInt(row.cost),
    chargedMicroCredits: asBigInt(row.charged),
  }),
);

/** Days from @fromDay on: spend from the rollup, every other credit movement from the (few) non-spend transactions. */
const balanceDays = statement(
  "dashboard_balance_days",
  `SELECT day, sum(other) AS other, sum(spent) AS spent FROM (
     SELECT created_at - (created_at % 86400000) AS day, amount_micro_credits AS other, 0 AS spent
       FROM credit_transactions WHERE org_id = @orgId AND kind <> 'spend' AND created_at >= @fromDay
     UNION ALL
     SELECT day, 0 AS other, charged_micro_credits AS spent FROM usage_daily WHERE org_id = @orgId AND day >= @fromDay
   ) moves GROUP BY day ORDER BY day`,
  { orgId: p.text, fromDay: p.int },
  (row): BalanceDay => ({ day: asNumber(row.day), otherMicroCredits: asBigInt(row.other), spentMicroCredits: asBigInt(row.spent) }),
);

const refusalDays = statement(
  "dashboard_refusal_days",
  `SELECT day, feature, code, sum(refusals) AS refusals FROM refusals_daily
    WHERE day >= @fromDay AND day < @toDay AND ${ORG} GROUP BY day, feature, code ORDER BY day, feature, code`,
  DAYS,
  (row): RefusalDay => ({ day: asNumber(row.day), feature: row.feature as Feature, code: row.code as RefusalDay["code"], refusals: asNumber(row.refusals) }),
);

const recentCalls = statement(
  "dashboard_recent_calls",
  `SELECT c.*, (SELECT coalesce(sum(e.charged_micro_credits), 0) FROM usage_events e WHERE e.tool_call_id = c.id) AS charged,
          (SELECT coalesce(sum(e.cost_nano_usd), 0) FROM usage_events e WHERE e.tool_call_id = c.id) AS cost
     FROM tool_calls c WHERE c.org_id = @orgId ORDER BY c.created_at DESC, c.id DESC LIMIT @limit`,
  { orgId: p.text, limit: p.int },
  (row): CallWithCharge => ({ ...toCall(row), chargedMicroCredits: asBigInt(row.charged), costNanoUsd: asBigInt(row.cost) }),
);

const addRefusal = statement(
  "add_refusal",
  `INSERT INTO refusals_daily (org_id, day, feature, code, refusals) VALUES (@orgId, @day, @feature, @code, 1)
   ON CONFLICT (org_id, day, feature, code) DO UPDATE SET refusals = refusals_daily.refusals + 1`,
  { orgId: p.text, day: p.int, feature: p.text, code: p.text },
);

const insertSession = statement(
  "insert_dashboard_session",
  `INSERT INTO dashboard_sessions (id_hash, org_id, key_id, operator_binding, created_at, expires_at)
   VALUES (@idHash, @orgId, @keyId, @operatorBinding, @createdAt, @expiresAt)`,
  { idHash: p.text, orgId: p.textOrNull, keyId: p.textOrNull, operatorBinding: p.textOrNull, createdAt: p.int, expiresAt: p.int },
);
/** A session whose key was revoked is no session: the join drops it. */
const liveSession = statement(
  "live_dashboard_session",
  `SELECT s.* FROM dashboard_sessions s LEFT JOIN api_keys k ON k.id = s.key_id
    WHERE s.id_hash = @idHash AND s.expires_at > @now AND (s.key_id IS NULL OR (k.id IS NOT NULL AND k.revoked_at IS NULL))`,
  { idHash: p.text, now: p.int },
  toSession,
);
export const endSession = idempotentStatement("delete_dashboard_session", "DELETE FROM dashboard_sessions WHERE id_hash = @idHash", { idHash: p.text });
const pruneSessions = statement("prune_dashboard_sessions", "DELETE FROM dashboard_sessions WHERE expires_at <= @now", { now: p.int });
// Not an idempotentStatement: its caller reads how many it ended, which a resend would count as 0.
const endAllSessions = statement("delete_all_dashboard_sessions", "DELETE FROM dashboard_sessions", {});

const insertRun = statement(
  "insert_reconcile_run",
  "INSERT INTO reconcile_runs (id, source, instance_id, finished_at, summary_json) VALUES (@id, @source, @instanceId, @finishedAt, @summary)",
  { id: p.text, source: p.text, instanceId: p.textOrNull, finishedAt: p.int, summary: p.text },
);
const pruneRuns = statement("prune_reconcile_runs", "DELETE FROM reconcile_runs WHERE finished_at < @before", { before: p.int });
const lastRun = statement("last_reconcile_run", "SELECT * FROM reconcile_runs ORDER BY finished_at DESC, id DESC LIMIT 1", {}, toReconcileRun);

/** How long reconcile outcomes are kept: enough to see the last ones, not a log of every sweep forever. */
const RUNS_KEPT_MS = 86_400_000;

export const spendByOrg = (orgId: string | null, today: number) =>
  all(orgSpend, { orgId, today, week: today - 6 * 86_400_000, month: today - 29 * 86_400_000 });
export const spendByFeatureDay = (w: DayWindow) => all(featureDays, { ...w });
export const spendByModel = (w: DayWindow) => all(modelSpend, { ...w });
export const hostedDays = (w: DayWindow) => all(marginDays, { ...w });
export const balanceMoves = (orgId: string, fromDay: number) => all(balanceDays, { orgId, fromDay });
export const refusalsByDay = (w: DayWindow) => all(refusalDays, { ...w });
export const callsOfOrg = (orgId: string, limit: number) => all(recentCalls, { orgId, limit });

export function* recordRefusal(orgId: string, feature: Feature, code: RefusalDay["code"], now: number): Script<void> {
  yield* run(addRefusal, { orgId, day: now - (now % 86_400_000), feature, code });
}

export function* startSession(session: DashboardSession): Script<void> {
  yield* run(pruneSessions, { now: session.createdAt });
  yield* run(insertSession, { ...session });
}

/** Ends every dashboard session, the operator's and the tenants'; how many there were. */
export function* revokeAllSessions(): Script<number> {
  return yield* run(endAllSessions);
}

export function* findSession(idHash: string, now: number): Script<DashboardSession | null> {
  return (yield* get(liveSession, { idHash, now })) ?? null;
}

export function* recordReconcile(entry: ReconcileRun): Script<void> {
  yield* run(pruneRuns, { before: entry.finishedAt - RUNS_KEPT_MS });
  yield* run(insertRun, {
    id: entry.id,
    source: entry.source,
    instanceId: entry.instanceId,
    finishedAt: entry.finishedAt,
    summary: JSON.stringify(entry.summary),
  });
}

export function* lastReconcile(): Script<ReconcileRun | null> {
  return (yield* get(lastRun)) ?? null;
}
