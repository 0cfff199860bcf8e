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
 * daily rollups (rollups.ts), then its wallet, taken last and released with
 * the COMMIT sent alongside.
 */
import { failpoint } from "../../failpoints.js";
import { newId } from "../../ids.js";
import { LedgerRefusal } from "../errors.js";
import { toCall, toRateCard, toWallet } from "../rows.js";
import { closing, get, getQuery, runQuery, type Query, type Script } from "../script.js";
import { idempotentStatement, p, statement } from "../sql.js";
import { finishTasksOfCall } from "./tasks.js";
import { OPEN_STATE_SQL, type CallResult, type RateCardRecord, type ResolveOutcome, type UsageEventInput, type WalletRecord } from "../types.js";
import { signalBalance } from "./billing-signals.js";
import { belowItsMarkup, rollupWrites } from "./rollups.js";

const OPEN = OPEN_STATE_SQL;
const WALLET = "SELECT org_id, balance_micro_credits, held_micro_credits FROM wallets WHERE org_id = @orgId";

export const callById = statement("call_by_id", "SELECT * FROM tool_calls WHERE id = @id", { id: p.text }, toCall);
export const openCalls = statement("open_calls", `SELECT * FROM tool_calls WHERE ${OPEN} ORDER BY created_at`, {}, toCall);
export const walletOf = statement("wallet_of", WALLET, { orgId: p.text }, toWallet);
/** The wallet row, locked until the transaction ends: every money check of an organisation starts here. */
export const lockWallet = statement("lock_wallet", WALLET, { orgId: p.text }, toWallet, { forUpdate: true });
export const rateCardOf = statement("rate_card_of", "SELECT * FROM rate_cards WHERE feature = @feature", { feature: p.text }, toRateCard);
/**
 * held -> dispatched, just before the provider request leaves; changes nothing when the call is no longer held.
 * Sent again after a lost answer, it still counts the row it dispatched at @now: the caller must not read
 * its own dispatch as a reconciler's void.
 */
export const markDispatchedSql = idempotentStatement(
  "mark_dispatched",
  `UPDATE tool_calls SET state = 'dispatched', dispatched_at = @now
    WHERE id = @id AND (state = 'held' OR (state = 'dispatched' AND dispatched_at = @now))`,
  { now: p.int, id: p.text },
);
/** Appends a provider reference the moment it is known (once, however often it is reported). */
export const addProviderRefSql = idempotentStatement(
  "add_provider_ref",
  {
    sqlite: `UPDATE tool_calls SET provider_refs = json_insert(provider_refs, '$[#]', @ref)
              WHERE id = @id AND NOT EXISTS (SELECT 1 FROM json_each(tool_calls.provider_refs) WHERE value = @ref)`,
    postgres: `UPDATE tool_calls SET provider_refs = (provider_refs::jsonb || jsonb_build_array(@ref::text))::text
                WHERE id = @id AND NOT (provider_refs::jsonb ? @ref)`,
  },
  { id: p.text, ref: p.text },
);
/**
 * held/dispatched -> unknown: the provider may have done (and billed) the work; the hold stays until reconciled.
 * Sent again, it still counts the row it marked with this error.
 */
export const markUnknownSql = idempotentStatement(
  "mark_unknown",
  `UPDATE tool_calls SET state = 'unknown', error_code = @code, error_message = @message
    WHERE id = @id AND (state IN ('held', 'dispatched') OR (state = 'unknown' AND error_code = @code AND error_message = @message))`,
  { code: p.text, message: p.text, id: p.text },
);
const insertEvent = statement(
  "insert_event",
  `INSERT INTO usage_events (id, tool_call_id, org_id, feature, provider, model, provider_request_id, outcome, prompt_tokens,
     completion_tokens, total_tokens, cost_nano_usd, cost_source, markup, credit_usd_value, charged_micro_credits,
     metered_micro_credits, over_hold, estimated, price_unknown, below_markup, created_at, settled_at, connection_id, api_key_id)
   VALUES (@id, @callId, @orgId, @feature, @provider, @model, @ref, @outcome, @promptTokens, @completionTokens, @totalTokens,
     @cost, @costSource, @markup, @creditUsdValue, @charged, @metered, @overHold, @estimated, @priceUnknown, @belowMarkup,
     @createdAt, @now, @connectionId, @apiKeyId)`,
  {
    id: p.text,
    callId: p.text,
    orgId: p.text,
    feature: p.text,
    provider: p.text,
    model: p.textOrNull,
    ref: p.textOrNull,
    outcome: p.text,
    promptTokens: p.intOrNull,
    completionTokens: p.intOrNull,
    totalTokens: p.intOrNull,
    cost: p.money,
    costSource: p.text,
    markup: p.text,
    creditUsdValue: p.text,
    charged: p.money,
    metered: p.money,
    overHold: p.flag,
    estimated: p.flag,
    priceUnknown: p.flag,
    belowMarkup: p.flag,
    createdAt: p.int,
    now: p.int,
    connectionId: p.textOrNull,
    apiKeyId: p.textOrNull,
  },
);
const insertSpend = statement(
  "insert_spend",
  `INSERT INTO credit_transactions (id, org_id, kind, amount_micro_credits, tool_call_id, note, created_at)
   VALUES (@id, @orgId, 'spend', @amount, @callId, @note, @now)`,
  { id: p.text, orgId: p.text, amount: p.money, callId: p.text, note: p.text, now: p.int },
);
const releaseAndCharge = statement(
  "release_and_charge",
  `UPDATE wallets SET balance_micro_credits = balance_micro_credits - @charged, held_micro_credits = held_micro_credits - @released,
     updated_at = @now WHERE org_id = @orgId RETURNING org_id, balance_micro_credits, held_micro_credits`,
  { charged: p.money, released: p.money, now: p.int, orgId: p.text },
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
  { state: p.text, result: p.textOrNull, code: p.textOrNull, message: p.textOrNull, now: p.int, id: p.text },
  toCall,
);
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
      connectionId: call.connectionId,
      apiKeyId: call.apiKeyId,
    }),
  );
  // References the call did not store while it ran (its answer came whole: see RequestCore.noteRef) are kept with it now.
  const refs = new Set(events.flatMap((e) => (e.providerRequestId !== null && !call.providerRefs.includes(e.providerRequestId) ? [e.providerRequestId] : [])));
  writes.unshift(...[...refs].map((ref) => runQuery(addProviderRefSql, { id: call.id, ref })));
  if (charged > 0n) writes.push(runQuery(insertSpend, { id: newId("ctx"), orgId: call.orgId, amount: -charged, callId: call.id, note: call.feature, now }));
  // Its tasks (if a client asked for one) end with it, whoever resolves it.
  writes.push(
    runQuery(finishTasksOfCall, {
      callId: call.id,
      state: resolution.state === "settled" && resolution.error === null ? "completed" : "failed",
      charged,
      cost: events.reduce((total, e) => total + e.costNanoUsd, 0n),
      code: resolution.error?.code ?? null,
      message: resolution.error?.message ?? null,
      now,
    }),
  );
  // The organisation's busy rows (its daily rollups, its wallet) come last: with the COMMIT sent alongside, they
  // stay locked for one round trip.
  writes.push(...rollupWrites(call, events, overHold, now));
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
