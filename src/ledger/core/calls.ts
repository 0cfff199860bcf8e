/**
 * The life of a paid call after its hold (see holds.ts), once for both
 * stores: dispatch mark, provider references, settle, void, unknown. Every
 * write runs inside one transaction owned by the store, so a check and the
 * change it guards are one atomic step; each transition happens once.
 *
 * A resolution (settle, void, reconcile) first claims the call with a
 * conditional update that only an open call passes, which in PostgreSQL also
 * locks its row: whoever comes second, in any process, finds it closed and
 * changes nothing. Lock order is the call's row, then the organisation's
 * daily rollup, then its wallet, taken last and released with the COMMIT
 * sent alongside.
 */
import { failpoint } from "../../failpoints.js";
import { newId } from "../../ids.js";
import { chargedBelowMarkup, parseDecimal } from "../../money.js";
import { LedgerRefusal } from "../errors.js";
import { toCall, toRateCard, toWallet } from "../rows.js";
import { closing, get, getQuery, runQuery, type Query, type Script } from "../script.js";
import { statement } from "../sql.js";
import { OPEN_STATE_SQL, type CallResult, type RateCardRecord, type ResolveOutcome, type UsageEventInput, type WalletRecord } from "../types.js";

const OPEN = OPEN_STATE_SQL;
const DAY_MS = 86_400_000;
const WALLET = "SELECT org_id, balance_micro_credits, held_micro_credits FROM wallets WHERE org_id = @orgId";

export const callById = statement("call_by_id", "SELECT * FROM tool_calls WHERE id = @id", toCall);
export const openCalls = statement("open_calls", `SELECT * FROM tool_calls WHERE ${OPEN} ORDER BY created_at`, toCall);
export const walletOf = statement("wallet_of", WALLET, toWallet);
/** The wallet row, locked until the transaction ends: every money check of an organisation starts here. */
export const lockWallet = statement("lock_wallet", WALLET, toWallet, { forUpdate: true });
export const rateCardOf = statement("rate_card_of", "SELECT * FROM rate_cards WHERE feature = @feature", toRateCard);
/** held -> dispatched, just before the provider request leaves; changes nothing when the call is no longer held. */
export const markDispatchedSql = statement(
  "mark_dispatched",
  "UPDATE tool_calls SET state = 'dispatched', dispatched_at = @now WHERE id = @id AND state = 'held'",
);
/** Appends a provider reference the moment it is known (once, however often it is reported). */
export const addProviderRefSql = statement("add_provider_ref", {
  sqlite: `UPDATE tool_calls SET provider_refs = json_insert(provider_refs, '$[#]', @ref)
            WHERE id = @id AND NOT EXISTS (SELECT 1 FROM json_each(tool_calls.provider_refs) WHERE value = @ref)`,
  postgres: `UPDATE tool_calls SET provider_refs = (provider_refs::jsonb || jsonb_build_array(@ref::text))::text
              WHERE id = @id AND NOT (provider_refs::jsonb ? @ref)`,
});
/** held/dispatched -> unknown: the provider may have done (and billed) the work; the hold stays until reconciled. */
export const markUnknownSql = statement(
  "mark_unknown",
  "UPDATE tool_calls SET state = 'unknown', error_code = @code, error_message = @message WHERE id = @id AND state IN ('held', 'dispatched')",
);
const insertEvent = statement(
  "insert_event",
  `INSERT INTO usage_events (id, tool_call_id, org_id, feature, provider, model, provider_request_id, outcome, prompt_tokens,
     completion_tokens, total_tokens, cost_nano_usd, cost_source, markup, credit_usd_value, charged_micro_credits,
     metered_micro_credits, over_hold, estimated, price_unknown, below_markup, created_at, settled_at)
   VALUES (@id, @callId, @orgId, @feature, @provider, @model, @ref, @outcome, @promptTokens, @completionTokens, @totalTokens,
     @cost, @costSource, @markup, @creditUsdValue, @charged, @metered, @overHold, @estimated, @priceUnknown, @belowMarkup,
     @createdAt, @now)`,
);
const insertSpend = statement(
  "insert_spend",
  `INSERT INTO credit_transactions (id, org_id, kind, amount_micro_credits, tool_call_id, note, created_at)
   VALUES (@id, @orgId, 'spend', @amount, @callId, @note, @now)`,
);
const releaseAndCharge = statement(
  "release_and_charge",
  `UPDATE wallets SET balance_micro_credits = balance_micro_credits - @charged, held_micro_credits = held_micro_credits - @released,
     updated_at = @now WHERE org_id = @orgId RETURNING org_id, balance_micro_credits, held_micro_credits`,
  toWallet,
);
/**
 * Claims an open call for its resolution: the state changes first, and only
 * if the call is still open, so whoever comes second (another process, a
 * reconciler) changes nothing. In PostgreSQL the update also locks the row
 * until the transaction ends.
 */
const closeCall = statement(
  "close_call",
  `UPDATE tool_calls SET state = @state, result_json = @result, error_code = coalesce(@code, error_code),
     error_message = coalesce(@message, error_message), resolved_at = @now
   WHERE id = @id AND ${OPEN} RETURNING *`,
  toCall,
);
const addDaily = statement(
  "add_daily",
  `INSERT INTO usage_daily (org_id, feature, day, deployment_mode, markup, credit_usd_value, calls, events, cost_nano_usd,
     charged_micro_credits, metered_micro_credits, estimated_events, over_hold_events, below_markup_events)
   VALUES (@orgId, @feature, @day, @mode, @markup, @creditUsdValue, 1, @events, @cost, @charged, @metered, @estimated, @overHold,
     @belowMarkup)
   ON CONFLICT (org_id, day, feature, deployment_mode, markup, credit_usd_value) DO UPDATE SET
     calls = usage_daily.calls + 1, events = usage_daily.events + excluded.events,
     cost_nano_usd = usage_daily.cost_nano_usd + excluded.cost_nano_usd,
     charged_micro_credits = usage_daily.charged_micro_credits + excluded.charged_micro_credits,
     metered_micro_credits = usage_daily.metered_micro_credits + excluded.metered_micro_credits,
     estimated_events = usage_daily.estimated_events + excluded.estimated_events,
     over_hold_events = usage_daily.over_hold_events + excluded.over_hold_events,
     below_markup_events = usage_daily.below_markup_events + excluded.below_markup_events`,
);

const addModelDaily = statement(
  "add_model_daily",
  `INSERT INTO usage_model_daily (org_id, day, provider, model, events, cost_nano_usd, charged_micro_credits)
   VALUES (@orgId, @day, @provider, @model, @events, @cost, @charged)
   ON CONFLICT (org_id, day, provider, model) DO UPDATE SET events = usage_model_daily.events + excluded.events,
     cost_nano_usd = usage_model_daily.cost_nano_usd + excluded.cost_nano_usd,
     charged_micro_credits = usage_model_daily.charged_micro_credits + excluded.charged_micro_credits`,
);

/**
 * Billing's watch on the balance, riding on the settle's own flight (no extra
 * round trip): when the charge leaves the balance under the wallet's watch
 * level, the crossing is recorded, once per watch epoch however many settles
 * cross at once, for the billing processor (alerts, auto-recharge). A wallet
 * nothing watches (watch level NULL) inserts nothing.
 */
const signalBalance = statement(
  "signal_balance",
  `INSERT INTO billing_signals (org_id, key, kind, data_json, created_at)
   SELECT org_id, 'balance:' || watch_epoch, 'balance', '{}', CAST(@now AS BIGINT) FROM wallets
   WHERE org_id = @orgId AND balance_micro_credits < watch_below_micro_credits
   ON CONFLICT DO NOTHING`,
);

/** The per-model rollup's increments of one resolution: one row per provider and model its events name. */
function modelDaily(orgId: string, day: number, events: UsageEventInput[]): Query[] {
  const byModel = new Map<string, { provider: string; model: string; events: number; cost: bigint; charged: bigint }>();
  for (const e of events) {
    const model = e.model ?? "";
    const key = `${e.provider}\u0000${model}`;
    const entry = byModel.get(key) ?? { provider: e.provider, model, events: 0, cost: 0n, charged: 0n };
    entry.events += 1;
    entry.cost += e.costNanoUsd;
    entry.charged += e.chargedMicroCredits;
    byModel.set(key, entry);
  }
  // In key order, so two resolutions lock these rows in the same order (PostgreSQL): no deadlock.
  return [...byModel.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, m]) => runQuery(addModelDaily, { orgId, day, ...m }));
}

export function* requireWallet(orgId: string, lock = false): Script<WalletRecord> {
  const wallet = yield* get(lock ? lockWallet : walletOf, { orgId });
  if (!wallet) throw new LedgerRefusal("not_found", `no organisation with id ${orgId}`);
  return wallet;
}

export function* requireRateCard(feature: string): Script<RateCardRecord> {
  const card = yield* get(rateCardOf, { feature });
  if (!card) throw new LedgerRefusal("not_found", `no rate card for feature ${feature}`);
  return card;
}

type Resolution = { state: "settled" | "voided"; resultJson: string | null; error: { code: string; message: string } | null };

const flag = (value: boolean) => (value ? 1 : 0);

/** Charged below cost x its own markup, or below cost: only a wallet charge can be (self-hosted calls charge nothing). */
const belowItsMarkup = (event: UsageEventInput, mode: string): boolean =>
  mode === "hosted" && chargedBelowMarkup(event.chargedMicroCredits, event.costNanoUsd, parseDecimal(event.markup), parseDecimal(event.creditUsdValue));

/** The call's events grouped by the pricing they were charged at (one group, unless a caller mixed them). */
function byPricing(events: UsageEventInput[]): UsageEventInput[][] {
  const groups = new Map<string, UsageEventInput[]>();
  for (const event of events) {
    const key = `${event.markup}|${event.creditUsdValue}`;
    groups.set(key, [...(groups.get(key) ?? []), event]);
  }
  return [...groups.values()];
}

/** Shared by settle and void: the call claimed (only if still open), the wallet charged and released, events and rollup written. */
function* resolve(callId: string, events: UsageEventInput[], resolution: Resolution, now: number): Script<ResolveOutcome> {
  const call = yield* get(closeCall, {
    state: resolution.state,
    result: resolution.resultJson,
    code: resolution.error?.code ?? null,
    message: resolution.error?.message ?? null,
    now,
    id: callId,
  });
  if (!call) {
    const closed = yield* get(callById, { id: callId });
    if (!closed) throw new Error(`no tool call ${callId}`);
    return { applied: false, call: closed, wallet: yield* requireWallet(closed.orgId) };
  }
  const charged = events.reduce((total, e) => total + e.chargedMicroCredits, 0n);
  const metered = events.reduce((total, e) => total + e.meteredMicroCredits, 0n);
  const overHold = metered > call.holdMicroCredits;
  const writes: Query[] = events.map((event) =>
    runQuery(insertEvent, {
      id: newId("ue"),
      callId: call.id,
      orgId: call.orgId,
      feature: call.feature,
      provider: event.provider,
      model: event.model,
      ref: event.providerRequestId,
      outcome: event.outcome,
      promptTokens: event.promptTokens,
      completionTokens: event.completionTokens,
      totalTokens: event.totalTokens,
      cost: event.costNanoUsd,
      costSource: event.costSource,
      markup: event.markup,
      creditUsdValue: event.creditUsdValue,
      charged: event.chargedMicroCredits,
      metered: event.meteredMicroCredits,
      overHold: flag(overHold),
      estimated: flag(event.estimated),
      priceUnknown: flag(event.priceUnknown),
      belowMarkup: flag(belowItsMarkup(event, call.deploymentMode)),
      createdAt: event.createdAt,
      now,
    }),
  );
  if (charged > 0n) writes.push(runQuery(insertSpend, { id: newId("ctx"), orgId: call.orgId, amount: -charged, callId: call.id, note: call.feature, now }));
  // The organisation's busy rows (its daily rollup, its wallet) come last: with the COMMIT sent alongside, they
  // stay locked for one round trip.
  for (const group of byPricing(events)) {
    writes.push(
      runQuery(addDaily, {
        orgId: call.orgId,
        feature: call.feature,
        day: now - (now % DAY_MS),
        mode: call.deploymentMode,
        markup: group[0]!.markup,
        creditUsdValue: group[0]!.creditUsdValue,
        events: group.length,
        cost: group.reduce((total, e) => total + e.costNanoUsd, 0n),
        charged: group.reduce((total, e) => total + e.chargedMicroCredits, 0n),
        metered: group.reduce((total, e) => total + e.meteredMicroCredits, 0n),
        estimated: group.filter((e) => e.estimated).length,
        overHold: overHold ? group.length : 0,
        belowMarkup: group.filter((e) => belowItsMarkup(e, call.deploymentMode)).length,
      }),
      ...modelDaily(call.orgId, now - (now % DAY_MS), events),
    );
  }
  writes.push(getQuery(releaseAndCharge, { charged, released: call.walletHoldMicroCredits, now, orgId: call.orgId }));
  if (charged > 0n) writes.push(runQuery(signalBalance, { now, orgId: call.orgId }));
  failpoint("inside_settle"); // a crash here (the call claimed, nothing else written) must roll the whole resolution back
  const results = yield* closing(...writes);
  const signalled = charged > 0n && (results[results.length - 1] as number) > 0;
  return { applied: true, call, wallet: results[results.length - (charged > 0n ? 2 : 1)] as WalletRecord, signalled };
}

export function settleCall(callId: string, events: UsageEventInput[], result: CallResult, now: number): Script<ResolveOutcome> {
  const resolution: Resolution =
    "resultJson" in result ? { state: "settled", resultJson: result.resultJson, error: null } : { state: "settled", resultJson: null, error: result.error };
  return resolve(callId, events, resolution, now);
}

export function voidCall(callId: string, events: UsageEventInput[], error: { code: string; message: string }, now: number): Script<ResolveOutcome> {
  if (events.some((e) => e.chargedMicroCredits !== 0n)) throw new Error("a voided call cannot carry a charge");
  return resolve(callId, events, { state: "voided", resultJson: null, error }, now);
}
