/**
 * Auto-recharge rules and attempts. An attempt is created by the balance
 * watch (billing-watch.ts), one per crossing; an instance leases it, asks
 * Stripe for the off-session PaymentIntent (idempotency key from the
 * crossing), and records the outcome. A declined charge turns the rule off
 * and says so (recharge.failed). Credits come only from Stripe's webhook.
 */
import { LedgerRefusal } from "../errors.js";
import { toRechargeAttempt } from "../billing-rows.js";
import type { RechargeAttemptRecord, RechargeInput, RechargeRuleRecord } from "../billing-types.js";
import { all, get, run, type Script } from "../script.js";
import { idempotentStatement, p, statement } from "../sql.js";
import { emitEvent } from "./billing-events.js";
import { requireWallet } from "./calls.js";
import { ruleOf, rewatch } from "./billing-watch.js";

const upsertRule = statement(
  "upsert_recharge_rule",
  `INSERT INTO recharge_rules (org_id, below_micro_credits, target_micro_credits, max_month_usd_cents, enabled, disabled_reason, updated_at)
   VALUES (@orgId, @below, @target, @max, 1, NULL, @now)
   ON CONFLICT (org_id) DO UPDATE SET below_micro_credits = excluded.below_micro_credits, target_micro_credits = excluded.target_micro_credits,
     max_month_usd_cents = excluded.max_month_usd_cents, enabled = 1, disabled_reason = NULL, updated_at = excluded.updated_at`,
  { orgId: p.text, below: p.money, target: p.money, max: p.int, now: p.int },
);
const turnOff = statement(
  "recharge_off",
  "UPDATE recharge_rules SET enabled = 0, disabled_reason = @reason, updated_at = @now WHERE org_id = @orgId AND enabled = 1",
  { reason: p.text, now: p.int, orgId: p.text },
);
const clearRechargeAlert = statement("clear_recharge_alert", "DELETE FROM alert_states WHERE org_id = @orgId AND key = 'recharge'", { orgId: p.text });
const claimAttempt = statement(
  "claim_recharge_attempt",
  `UPDATE recharge_attempts SET status = 'sending', lease_until = @leaseUntil, updated_at = @now
   WHERE id = @id AND (status = 'pending' OR (status = 'sending' AND lease_until < @now)) RETURNING *`,
  { leaseUntil: p.int, now: p.int, id: p.text },
  toRechargeAttempt,
);
/** Sent again, it changes nothing: the attempt is no longer sending. */
export const markCreatedSql = idempotentStatement(
  "recharge_attempt_created",
  "UPDATE recharge_attempts SET status = 'created', payment_intent = @pi, lease_until = NULL, updated_at = @now WHERE id = @id AND status = 'sending'",
  { pi: p.text, now: p.int, id: p.text },
);
const markFailed = statement(
  "recharge_attempt_failed",
  `UPDATE recharge_attempts SET status = 'failed', payment_intent = coalesce(@pi, payment_intent), error = @error, lease_until = NULL, updated_at = @now
   WHERE id = @id AND status IN ('pending', 'sending', 'created')`,
  { pi: p.textOrNull, error: p.text, now: p.int, id: p.text },
);
const dueAttempts = statement(
  "due_recharge_attempts",
  `SELECT * FROM recharge_attempts WHERE status = 'pending' OR (status = 'sending' AND lease_until < @now) ORDER BY created_at LIMIT 20`,
  { now: p.int },
  toRechargeAttempt,
);

export function* setRecharge(input: RechargeInput, now: number): Script<RechargeRuleRecord> {
  if (input.targetMicroCredits <= input.belowMicroCredits) throw new LedgerRefusal("out_of_range", "the recharge target must be above its threshold");
  yield* requireWallet(input.orgId, true);
  yield* run(upsertRule, { orgId: input.orgId, below: input.belowMicroCredits, target: input.targetMicroCredits, max: input.maxMonthUsdCents, now });
  yield* run(clearRechargeAlert, { orgId: input.orgId });
  yield* rewatch(input.orgId, now);
  return (yield* get(ruleOf, { orgId: input.orgId }))!;
}

export function* rechargeOff(orgId: string, now: number): Script<boolean> {
  yield* requireWallet(orgId, true);
  const changed = yield* run(turnOff, { reason: "turned off by the operator", now, orgId });
  yield* rewatch(orgId, now);
  return changed > 0;
}

export function rechargeRule(orgId: string): Script<RechargeRuleRecord | undefined> {
  return get(ruleOf, { orgId });
}

export function* claimRechargeAttempt(id: string, leaseUntil: number, now: number): Script<RechargeAttemptRecord | null> {
  return (yield* get(claimAttempt, { leaseUntil, now, id })) ?? null;
}

export function dueRechargeAttempts(now: number): Script<RechargeAttemptRecord[]> {
  return all(dueAttempts, { now });
}

/**
 * A charge Stripe declined: the attempt fails, auto-recharge turns off (a
 * card that was declined once would be tried on every crossing), and the
 * organisation hears it (recharge.failed). Once per attempt.
 */
export function* disableRecharge(id: string, orgId: string, paymentIntent: string | null, code: string, message: string, now: number): Script<boolean> {
  yield* requireWallet(orgId, true);
  if ((yield* run(markFailed, { pi: paymentIntent, error: `${code}: ${message}`, now, id })) === 0) return false;
  yield* run(turnOff, { reason: `the card was declined (${code})`, now, orgId });
  yield* emitEvent(orgId, "recharge.failed", { reason: code, message, payment_intent: paymentIntent, recharge_id: id, auto_recharge: "off" }, now);
  yield* rewatch(orgId, now);
  return true;
}
