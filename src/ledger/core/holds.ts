/**
 * Preflight and hold in one transaction, once for both stores: idempotency,
 * the wallet's available balance and every hard budget are checked, then the
 * hold is placed. Soft budgets crossed by the hold are reported (and noted
 * once per period).
 *
 * Concurrency across processes and machines: the organisation's wallet row is
 * the one row every hold of an organisation touches, so how long a hold keeps
 * it locked bounds how many paid calls a second one organisation can start.
 * Either way it stays locked for one round trip plus the COMMIT:
 *
 * - A hold with no budget to check, no idempotency key and no connection
 *   (placeHoldAtOnce) is one flight: one conditional update of the wallet
 *   that is the balance check and the no-budget check at once, the call's
 *   insert (made only if that update claimed the wallet), and the COMMIT. On
 *   PostgreSQL that is one round trip for the whole hold. When it claims
 *   nothing, nothing was written and placeHold decides, and says why.
 * - A hold with budgets must see every other open hold of the organisation,
 *   and a hold with a key must see every other call with that key, so these
 *   are placed one at a time: the wallet row is locked first (`SELECT ...
 *   FOR UPDATE`; SQLite's write transaction holds the whole file anyway),
 *   the key and every budget's standing are read in the same flight, then
 *   the hold is written with the COMMIT. (Without the lock, a keyed hold
 *   could wait on the key's unique index for a settle that waits on the
 *   wallet it holds: a deadlock.)
 *
 * Lock order everywhere is a call's row, then the daily rollup, then the
 * wallet; a hold touches no existing call, so holds and resolutions cannot
 * deadlock.
 */
import { newId } from "../../ids.js";
import { LedgerRefusal } from "../errors.js";
import { toCall, toWallet } from "../rows.js";
import { allQuery, closing, get, getQuery, runQuery, together, type Query, type Script } from "../script.js";
import { p, statement } from "../sql.js";
import type { ConnectionRecord } from "../auth-types.js";
import type { BudgetRecord, HoldOutcome, HoldRequest, SoftBudgetCrossing, ToolCallRecord, WalletRecord } from "../types.js";
import { budgetSignals } from "./billing-signals.js";
import { budgetsFor, COVERING_BUDGETS, standingsAfter } from "./budgets.js";
import { lockWallet, walletOf } from "./calls.js";
import { capBudget, connectionForHold } from "./connections.js";

const liveCallWithKey = statement(
  "live_call_with_key",
  "SELECT * FROM tool_calls WHERE org_id = @orgId AND idempotency_key = @key AND state <> 'voided'",
  { orgId: p.text, key: p.textOrNull },
  toCall,
);
/** The balance check and the hold in one statement: no row when the wallet cannot cover the hold. */
const claimHold = statement(
  "claim_hold",
  `UPDATE wallets SET held_micro_credits = held_micro_credits + @amount, updated_at = @now
   WHERE org_id = @orgId AND balance_micro_credits - held_micro_credits >= @amount
   RETURNING org_id, balance_micro_credits, held_micro_credits`,
  { amount: p.money, now: p.int, orgId: p.text },
  toWallet,
);
const addHeld = statement("add_held", "UPDATE wallets SET held_micro_credits = held_micro_credits + @amount, updated_at = @now WHERE org_id = @orgId", {
  amount: p.money,
  now: p.int,
  orgId: p.text,
});
const insertNotice = statement(
  "insert_notice",
  "INSERT INTO budget_notices (budget_id, period_start, created_at) VALUES (@budgetId, @periodStart, @now) ON CONFLICT DO NOTHING",
  { budgetId: p.text, periodStart: p.int, now: p.int },
);
/** The columns of a new call (insertCall, insertCallIfClaimed). */
const CALL_COLUMNS = `INSERT INTO tool_calls (id, org_id, feature, provider, state, deployment_mode, hold_micro_credits, wallet_hold_micro_credits,
     idempotency_key, request_hash, markup, credit_usd_value, provider_refs, created_at, owner_instance_id, connection_id, api_key_id)`;
const CALL_VALUES = `@id, @orgId, @feature, @provider, 'held', @deploymentMode, @hold, @walletHold, @key, @requestHash, @markup, @creditUsdValue, '[]', @now,
     @owner, @connectionId, @apiKeyId`;
const CALL_PARAMS = {
  id: p.text,
  orgId: p.text,
  feature: p.text,
  provider: p.text,
  deploymentMode: p.text,
  hold: p.money,
  walletHold: p.money,
  key: p.textOrNull,
  requestHash: p.text,
  markup: p.textOrNull,
  creditUsdValue: p.textOrNull,
  now: p.int,
  owner: p.textOrNull,
  connectionId: p.textOrNull,
  apiKeyId: p.textOrNull,
} as const;
const insertCall = statement("insert_call", `${CALL_COLUMNS} VALUES (${CALL_VALUES})`, CALL_PARAMS);

/** A connection that may still spend for this organisation: it exists, is not revoked, and is the organisation's. */
const live = (connection: ConnectionRecord | undefined, request: HoldRequest): connection is ConnectionRecord =>
  connection !== undefined && connection.revokedAt === null && connection.orgId === request.orgId;

export function* placeHold(request: HoldRequest): Script<HoldOutcome> {
  const { orgId, feature } = request;
  const connectionId = request.connectionId ?? null; // scripts written before connections leave it out
  const [wallet, budgets, existing, connection] = yield* together(
    getQuery(walletOf, { orgId }),
    allQuery(budgetsFor, { orgId, feature }),
    getQuery(liveCallWithKey, { orgId, key: request.idempotencyKey }), // a null key matches no row
    getQuery(connectionForHold, { id: connectionId ?? "" }), // no connection: matches no row
  );
  if (!wallet) throw new LedgerRefusal("not_found", `no organisation with id ${orgId}`);
  if (connectionId !== null && !live(connection, request)) return { kind: "connection_revoked" };
  if (existing) return { kind: "existing", call: existing };
  if (!covers(wallet, request)) return insufficient(wallet, request);
  // A connection's daily cap is one more hard budget, counted over that connection only.
  const all = connection && connectionId !== null ? [...budgets, capBudget(connection)] : budgets;
  const oneAtATime = all.length > 0 || request.idempotencyKey !== null;
  return oneAtATime ? yield* holdLocked(request, all) : yield* holdByClaim(request, wallet);
}

function* holdByClaim(request: HoldRequest, wallet: WalletRecord): Script<HoldOutcome> {
  let held = wallet;
  if (request.walletHoldMicroCredits > 0n) {
    const claimed = yield* get(claimHold, { amount: request.walletHoldMicroCredits, now: request.now, orgId: request.orgId });
    if (!claimed) return insufficient((yield* get(walletOf, { orgId: request.orgId })) ?? wallet, request);
    held = claimed;
  }
  const call = newCall(request);
  yield* closing(insertCallQuery(call));
  return { kind: "placed", call, wallet: held, softBudgetsCrossed: [] };
}

function* holdLocked(request: HoldRequest, budgets: BudgetRecord[]): Script<HoldOutcome> {
  const { orgId } = request;
  const [[wallet, existing, connection], standings] = yield* standingsAfter(
    [
      getQuery(lockWallet, { orgId }),
      getQuery(liveCallWithKey, { orgId, key: request.idempotencyKey }),
      // Read again under the wallet's lock: a revocation or a new cap committed since the first read counts.
      getQuery(connectionForHold, { id: request.connectionId ?? "" }),
    ] as const,
    budgets,
    request.now,
  );
  if (!wallet) throw new LedgerRefusal("not_found", `no organisation with id ${orgId}`);
  if ((request.connectionId ?? null) !== null && !live(connection, request)) return { kind: "connection_revoked" };
  if (existing) return { kind: "existing", call: existing };
  if (connection) {
    for (const standing of standings) if (standing.budget.connectionId) standing.budget = capBudget(connection);
  }
  if (!covers(wallet, request)) return insufficient(wallet, request);
  const crossed: Omit<SoftBudgetCrossing, "firstNotice">[] = [];
  for (const standing of standings) {
    if (standing.usedMicroCredits + request.holdMicroCredits <= standing.budget.limitMicroCredits) continue;
    if (standing.budget.hard) {
      // A hard budget is never held past its limit: a call it refuses is the moment it stands at 100%.
      const signals = budgetSignals({ ...request, holdMicroCredits: standing.budget.limitMicroCredits - standing.usedMicroCredits }, [standing]);
      if (signals.length > 0) yield* closing(...signals);
      return { kind: "budget_exceeded", standing, neededMicroCredits: request.holdMicroCredits };
    }
    crossed.push(standing);
  }
  const call = newCall(request);
  const amount = request.walletHoldMicroCredits;
  const signals = budgetSignals(request, standings);
  const noticed = (yield* closing(
    insertCallQuery(call),
    ...(amount > 0n ? [runQuery(addHeld, { amount, now: request.now, orgId })] : []),
    ...crossed.map((c) => runQuery(insertNotice, { budgetId: c.budget.id, periodStart: c.periodStart, now: request.now })),
    ...signals,
  )) as number[];
  const firstNotices = noticed.slice(noticed.length - crossed.length - signals.length, noticed.length - signals.length);
  return {
    kind: "placed",
    call,
    wallet: { ...wallet, heldMicroCredits: wallet.heldMicroCredits + amount },
    softBudgetsCrossed: crossed.map((c, i) => ({ ...c, firstNotice: firstNotices[i]! > 0 })),
  };
}

const covers = (wallet: WalletRecord, request: HoldRequest) =>
  request.walletHoldMicroCredits === 0n || wallet.balanceMicroCredits - wallet.heldMicroCredits >= request.walletHoldMicroCredits;

function insufficient(wallet: WalletRecord, request: HoldRequest): HoldOutcome {
  return {
    kind: "insufficient_credits",
    availableMicroCredits: wallet.balanceMicroCredits - wallet.heldMicroCredits,
    neededMicroCredits: request.walletHoldMicroCredits,
  };
}

function newCall(request: HoldRequest): ToolCallRecord {
  return {
    id: newId("tc"),
    orgId: request.orgId,
    feature: request.feature,
    provider: request.provider,
    state: "held",
    deploymentMode: request.deploymentMode,
    holdMicroCredits: request.holdMicroCredits,
    walletHoldMicroCredits: request.walletHoldMicroCredits,
    idempotencyKey: request.idempotencyKey,
    requestHash: request.requestHash,
    markup: request.markup,
    creditUsdValue: request.creditUsdValue,
    providerRefs: [],
    resultJson: null,
    errorCode: null,
    errorMessage: null,
    createdAt: request.now,
    dispatchedAt: null,
    resolvedAt: null,
    ownerInstanceId: request.ownerInstanceId,
    connectionId: request.connectionId ?? null,
    apiKeyId: request.apiKeyId ?? null,
  };
}

function insertCallQuery(call: ToolCallRecord, insert = insertCall): Query {
  return runQuery(insert, {
    id: call.id,
    orgId: call.orgId,
    feature: call.feature,
    provider: call.provider,
    deploymentMode: call.deploymentMode,
    hold: call.holdMicroCredits,
    walletHold: call.walletHoldMicroCredits,
    key: call.idempotencyKey,
    requestHash: call.requestHash,
    markup: call.markup,
    creditUsdValue: call.creditUsdValue,
    now: call.createdAt,
    owner: call.ownerInstanceId,
    connectionId: call.connectionId,
    apiKeyId: call.apiKeyId,
  });
}

/**
 * The wallet claimed only where no budget covers the feature (the budgets
 * placeHold checks; a connection's cap cannot apply, there is no connection):
 * no row when one does, or the wallet cannot cover the hold.
 */
const claimUnbudgetedHold = statement(
  "claim_unbudgeted_hold",
  `UPDATE wallets SET held_micro_credits = held_micro_credits + @amount, updated_at = @now
   WHERE org_id = @orgId AND balance_micro_credits - held_micro_credits >= @amount
     AND NOT EXISTS (SELECT 1 ${COVERING_BUDGETS})
   RETURNING org_id, balance_micro_credits, held_micro_credits`,
  { amount: p.money, now: p.int, orgId: p.text, feature: p.text },
  toWallet,
);
/**
 * The call, inserted only if the statement before claimed the wallet in this
 * transaction. SQLite: that statement changed a row. PostgreSQL: the wallet
 * row's current version was written by this transaction (its xmin is this
 * transaction's id, which is assigned only once it writes).
 */
const insertCallIfClaimed = statement(
  "insert_call_if_claimed",
  {
    sqlite: `${CALL_COLUMNS} SELECT ${CALL_VALUES} WHERE changes() = 1`,
    postgres: `${CALL_COLUMNS} SELECT ${CALL_VALUES} WHERE EXISTS (SELECT 1 FROM wallets WHERE org_id = @orgId
       AND xmin::text::bigint = pg_current_xact_id_if_assigned()::text::bigint % 4294967296)`,
  },
  CALL_PARAMS,
);
/** A hold placeHoldAtOnce may place: no idempotency key to look up and no connection whose cap counts. */
export const atOnceEligible = (request: HoldRequest) => request.idempotencyKey === null && (request.connectionId ?? null) === null;

/**
 * The common hold in one flight (see the top of this file): null when it
 * wrote nothing (a budget covers the feature, the wallet cannot cover the
 * hold, or there is no such organisation).
 */
export function* placeHoldAtOnce(request: HoldRequest): Script<HoldOutcome | null> {
  const call = newCall(request);
  const { orgId, feature } = request;
  const [claimed] = yield* closing(
    getQuery(claimUnbudgetedHold, { amount: request.walletHoldMicroCredits, now: request.now, orgId, feature }),
    insertCallQuery(call, insertCallIfClaimed),
  );
  return claimed ? { kind: "placed", call, wallet: claimed, softBudgetsCrossed: [] } : null;
}
