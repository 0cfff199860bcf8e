/**
 * The balance watch: alert levels (a percentage of the last top-up, 20% and
 * 5% by default, and depleted) and the auto-recharge threshold. The wallet
 * row carries the highest level not yet crossed (watch_below) and an epoch;
 * a settle that goes under it records a signal keyed by the epoch (see
 * calls.ts), so one crossing signals once however many settles see it.
 * Processing a signal fires each crossed level once (an alert_states row),
 * creates the recharge attempt, and re-arms the watch at the next level down.
 * A top-up recovers the levels it lifts the balance above (balance.recovered)
 * and re-arms them. All of it under the wallet's lock, in one transaction.
 */
import { newId } from "../../ids.js";
import { ceilDiv, microToCredits, parseDecimal, type Decimal } from "../../money.js";
import { toRechargeRule } from "../billing-rows.js";
import type { RechargeRuleRecord } from "../billing-types.js";
import { allQuery, get, getQuery, run, runQuery, together, type Query, type Script } from "../script.js";
import { asBigInt, asNumber, p, statement } from "../sql.js";
import { emitEvent, eventQueries } from "./billing-events.js";

export const DEFAULT_BALANCE_PCTS = [20, 5];
/** Stripe's smallest charge in US dollars: a recharge is never smaller. */
export const MIN_CHARGE_CENTS = 50;

export interface WatchedWallet {
  balance: bigint;
  topup: bigint;
  epoch: number;
}

export const lockWatchedWallet = statement(
  "lock_watched_wallet",
  "SELECT balance_micro_credits, topup_micro_credits, watch_epoch FROM wallets WHERE org_id = @orgId",
  { orgId: p.text },
  (row): WatchedWallet => ({ balance: asBigInt(row.balance_micro_credits), topup: asBigInt(row.topup_micro_credits), epoch: asNumber(row.watch_epoch) }),
  { forUpdate: true },
);
const alertPctsOf = statement("alert_pcts_of", "SELECT balance_pcts FROM alert_settings WHERE org_id = @orgId", { orgId: p.text }, (row) =>
  String(row.balance_pcts),
);
const firedOf = statement("fired_alerts_of", "SELECT key FROM alert_states WHERE org_id = @orgId", { orgId: p.text }, (row) => String(row.key));
export const ruleOf = statement("recharge_rule_of", "SELECT * FROM recharge_rules WHERE org_id = @orgId", { orgId: p.text }, toRechargeRule);
const savedCardOf = statement(
  "saved_card_of",
  "SELECT payment_method_id FROM stripe_customers WHERE org_id = @orgId AND payment_method_id IS NOT NULL",
  { orgId: p.text },
  (row) => String(row.payment_method_id),
);
const rearmWatch = statement(
  "rearm_watch",
  `UPDATE wallets SET watch_below_micro_credits = @below, watch_epoch = watch_epoch + 1, topup_micro_credits = coalesce(@topup, topup_micro_credits)
   WHERE org_id = @orgId`,
  { below: p.moneyOrNull, topup: p.moneyOrNull, orgId: p.text },
);
const insertSignal = statement(
  "insert_balance_signal",
  "INSERT INTO billing_signals (org_id, key, kind, data_json, created_at) VALUES (@orgId, @key, 'balance', '{}', @now) ON CONFLICT DO NOTHING",
  { orgId: p.text, key: p.text, now: p.int },
);
const fire = statement("fire_alert", "INSERT INTO alert_states (org_id, key, fired_at) VALUES (@orgId, @key, @now) ON CONFLICT DO NOTHING", {
  orgId: p.text,
  key: p.text,
  now: p.int,
});
const unfire = statement("unfire_alert", "DELETE FROM alert_states WHERE org_id = @orgId AND key = @key", { orgId: p.text, key: p.text });
const spentThisMonth = statement(
  "recharge_spent_this_month",
  `SELECT coalesce(sum(usd_cents), 0) AS cents FROM recharge_attempts
   WHERE org_id = @orgId AND created_at >= @monthStart AND status <> 'failed'`,
  { orgId: p.text, monthStart: p.int },
  (row) => asNumber(row.cents),
);
const insertAttempt = statement(
  "insert_recharge_attempt",
  `INSERT INTO recharge_attempts (id, org_id, crossing, micro_credits, usd_cents, status, created_at, updated_at)
   VALUES (@id, @orgId, @crossing, @micro, @cents, 'pending', @now, @now) ON CONFLICT (crossing) DO NOTHING`,
  { id: p.text, orgId: p.text, crossing: p.text, micro: p.money, cents: p.int, now: p.int },
);

interface Level {
  key: string;
  level: bigint;
  kind: "low" | "depleted" | "recharge";
  pct?: number;
}

/** Everything the watch decides from, read under the wallet's lock in one flight. */
export interface WatchState extends WatchedWallet {
  pcts: number[];
  fired: Set<string>;
  rule: RechargeRuleRecord | null;
  card: string | null;
}

export function parsePcts(text: string | undefined): number[] {
  if (text === undefined) return DEFAULT_BALANCE_PCTS;
  return text
    .split(",")
    .filter(Boolean)
    .map((p) => Number(p));
}

/** The watch's reads besides the wallet, to send in the same flight as the wallet's lock. */
export function watchReads(orgId: string) {
  return [getQuery(alertPctsOf, { orgId }), allQuery(firedOf, { orgId }), getQuery(ruleOf, { orgId }), getQuery(savedCardOf, { orgId })] as const;
}

/** The watch state from a wallet and the results of watchReads. */
export function watchState(wallet: WatchedWallet, reads: [string | undefined, string[], RechargeRuleRecord | undefined, string | undefined]): WatchState {
  const [pcts, fired, rule, card] = reads;
  return { ...wallet, pcts: parsePcts(pcts), fired: new Set(fired), rule: rule ?? null, card: card ?? null };
}

function* readState(orgId: string): Script<WatchState | null> {
  const [wallet, ...reads] = yield* together(getQuery(lockWatchedWallet, { orgId }), ...watchReads(orgId));
  return wallet ? watchState(wallet, reads) : null;
}

function levelsOf(state: WatchState): Level[] {
  const levels: Level[] = [];
  if (state.topup > 0n) {
    for (const pct of state.pcts) levels.push({ key: `balance:${pct}`, level: ceilDiv(state.topup * BigInt(pct), 100n), kind: "low", pct });
  }
  levels.push({ key: "balance:depleted", level: 1n, kind: "depleted" }); // under one micro-credit: nothing left
  if (state.rule?.enabled) levels.push({ key: "recharge", level: state.rule.belowMicroCredits, kind: "recharge" });
  return levels;
}

/** The writes that watch the highest level not yet fired (and set the top-up, after one); a signal at once when the balance already stands under it. */
function rearmQueries(orgId: string, state: WatchState, now: number, topup: bigint | null = null): Query[] {
  const open = levelsOf(state).filter((l) => !state.fired.has(l.key));
  const below = open.reduce<bigint | null>((max, l) => (max === null || l.level > max ? l.level : max), null);
  const writes: Query[] = [runQuery(rearmWatch, { below, topup, orgId })];
  if (below !== null && state.balance < below) writes.push(runQuery(insertSignal, { orgId, key: `balance:${state.epoch + 1}`, now }));
  return writes;
}

function* rearm(orgId: string, state: WatchState, now: number): Script<void> {
  yield* together(...rearmQueries(orgId, state, now));
}

/** Re-arms the watch after a setting changed (alert levels, a recharge rule): the caller holds no lock, this takes it. */
export function* rewatch(orgId: string, now: number): Script<void> {
  const state = yield* readState(orgId);
  if (state) yield* rearm(orgId, state, now);
}

/**
 * The writes of a top-up, given the watch state read with the wallet's lock
 * and the balance after it: the top-up amount sets the levels; every fired
 * level the balance is now at or above recovers (one balance.recovered);
 * the watch is re-armed. Written with the grant, in one flight.
 */
export function topUpWrites(orgId: string, before: WatchState, amount: bigint, now: number): Query[] {
  const state: WatchState = { ...before, balance: before.balance + amount, topup: amount, fired: new Set(before.fired) };
  const byKey = new Map(levelsOf(state).map((l) => [l.key, l]));
  const recovered = [...state.fired].filter((key) => {
    const level = byKey.get(key);
    return level === undefined || state.balance >= level.level;
  });
  for (const key of recovered) state.fired.delete(key);
  return [
    ...recovered.map((key) => runQuery(unfire, { orgId, key })),
    ...rearmQueries(orgId, state, now, amount),
    ...(recovered.some((key) => key.startsWith("balance:"))
      ? eventQueries(orgId, "balance.recovered", { balance_credits: microToCredits(state.balance) }, now).queries
      : []),
  ];
}

/** A top-up inside a script that has not read the watch: reads it (the wallet locked), then writes. */
export function* afterTopUp(orgId: string, amount: bigint, now: number): Script<void> {
  const state = yield* readState(orgId);
  // The wallet was already credited in this transaction: the state's balance includes the top-up.
  if (state) yield* together(...topUpWrites(orgId, { ...state, balance: state.balance - amount }, amount, now));
}

/** US cents that buy `micro` credits, rounded up (a recharge never charges less than the credits are worth). */
export function centsFor(micro: bigint, creditUsd: Decimal): number {
  return Number(ceilDiv(micro * creditUsd.units * 100n, 1_000_000n * 10n ** BigInt(creditUsd.scale)));
}

/** Credits (micro) that `cents` buy, rounded down. */
export function microFor(cents: number, creditUsd: Decimal): bigint {
  return (BigInt(cents) * 1_000_000n * 10n ** BigInt(creditUsd.scale)) / (100n * creditUsd.units);
}

/** The first millisecond of the calendar month (UTC) `now` falls in. */
export function monthStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/**
 * A balance signal: fires every level the balance stands under and has not
 * fired, creates at most one recharge attempt, re-arms the watch. Returns
 * the recharge attempt to send (after the commit), if any.
 */
export function* processBalance(orgId: string, now: number, creditUsdText: string): Script<string[]> {
  const state = yield* readState(orgId);
  if (!state) return [];
  const creditUsd = parseDecimal(creditUsdText);
  const attempts: string[] = [];
  for (const level of levelsOf(state)) {
    if (state.fired.has(level.key) || state.balance >= level.level) continue;
    if ((yield* run(fire, { orgId, key: level.key, now })) === 0) continue;
    state.fired.add(level.key);
    const balance = microToCredits(state.balance);
    if (level.kind === "low") {
      yield* emitEvent(
        orgId,
        "balance.low",
        { balance_credits: balance, threshold_credits: microToCredits(level.level), threshold_pct: level.pct, last_topup_credits: microToCredits(state.topup) },
        now,
      );
    } else if (level.kind === "depleted") {
      yield* emitEvent(orgId, "balance.depleted", { balance_credits: balance }, now);
    } else {
      const attempt = yield* startRecharge(orgId, state, creditUsd, now);
      if (attempt) attempts.push(attempt);
    }
  }
  yield* rearm(orgId, state, now);
  return attempts;
}

function* startRecharge(orgId: string, state: WatchState, creditUsd: Decimal, now: number): Script<string | null> {
  const rule = state.rule!;
  const failed = (reason: string, message: string) =>
    emitEvent(orgId, "recharge.failed", { reason, message, auto_recharge: "on", balance_credits: microToCredits(state.balance) }, now);
  if (!state.card) {
    yield* failed("no_saved_card", "auto-recharge has no saved card yet: buy credits once through Checkout to save one");
    return null;
  }
  // Whole cents, rounded up, and every cent paid for becomes credits: the customer gets exactly what the charge buys.
  const cents = Math.max(centsFor(rule.targetMicroCredits - state.balance, creditUsd), MIN_CHARGE_CENTS);
  const micro = microFor(cents, creditUsd);
  const spent = (yield* get(spentThisMonth, { orgId, monthStart: monthStart(now) })) ?? 0;
  if (spent + cents > rule.maxMonthUsdCents) {
    yield* failed("monthly_limit", `auto-recharge would pass its monthly maximum of $${(rule.maxMonthUsdCents / 100).toFixed(2)}`);
    return null;
  }
  const id = newId("rch");
  const inserted = yield* run(insertAttempt, { id, orgId, crossing: `${orgId}:${state.epoch}`, micro, cents, now });
  return inserted > 0 ? id : null;
}
