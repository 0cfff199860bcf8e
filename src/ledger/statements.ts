/**
 * The paid-call hot path as prepared statements, compiled once per
 * connection. Every paid call runs these (a query builder would rebuild and
 * re-prepare its SQL on every call, which profiling showed to be most of the
 * ledger's cost). Cold paths (admin, reports) stay on drizzle.
 */
import type Database from "better-sqlite3";
import type { Feature } from "../features.js";
import type { ToolCallRecord, WalletRecord } from "./store.js";

type Row = Record<string, unknown>;

const num = (value: unknown) => (value === null || value === undefined ? null : Number(value));

export function callFromRow(row: Row): ToolCallRecord {
  return {
    id: String(row.id),
    orgId: String(row.org_id),
    feature: row.feature as Feature,
    provider: row.provider as ToolCallRecord["provider"],
    state: row.state as ToolCallRecord["state"],
    deploymentMode: row.deployment_mode as ToolCallRecord["deploymentMode"],
    holdMicroCredits: BigInt(row.hold_micro_credits as bigint),
    walletHoldMicroCredits: BigInt(row.wallet_hold_micro_credits as bigint),
    idempotencyKey: (row.idempotency_key as string | null) ?? null,
    requestHash: String(row.request_hash),
    markup: (row.markup as string | null) ?? null,
    creditUsdValue: (row.credit_usd_value as string | null) ?? null,
    providerRefs: JSON.parse(String(row.provider_refs)) as string[],
    resultJson: (row.result_json as string | null) ?? null,
    errorCode: (row.error_code as string | null) ?? null,
    errorMessage: (row.error_message as string | null) ?? null,
    createdAt: Number(row.created_at),
    dispatchedAt: num(row.dispatched_at),
    resolvedAt: num(row.resolved_at),
  };
}

export function walletFromRow(row: Row): WalletRecord {
  return {
    orgId: String(row.org_id),
    balanceMicroCredits: BigInt(row.balance_micro_credits as bigint),
    heldMicroCredits: BigInt(row.held_micro_credits as bigint),
  };
}

const OPEN = "state IN ('held', 'dispatched', 'unknown')";

export function prepareStatements(sqlite: Database.Database) {
  const prepare = (sql: string) => sqlite.prepare(sql);
  return {
    call: prepare("SELECT * FROM tool_calls WHERE id = ?"),
    keyHolder: prepare("SELECT k.*, o.name AS org_name FROM api_keys k JOIN orgs o ON o.id = k.org_id WHERE k.key_hash = ?"),
    openCalls: prepare(`SELECT * FROM tool_calls WHERE ${OPEN} ORDER BY created_at`),
    liveCallWithKey: prepare("SELECT * FROM tool_calls WHERE org_id = ? AND idempotency_key = ? AND state <> 'voided'"),
    wallet: prepare("SELECT org_id, balance_micro_credits, held_micro_credits FROM wallets WHERE org_id = ?"),
    rateCard: prepare("SELECT * FROM rate_cards WHERE feature = ?"),
    touchHealth: prepare("INSERT INTO ledger_health (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at"),
    budgetsFor: prepare("SELECT * FROM budgets WHERE org_id = ? AND (feature IS NULL OR feature = ?)"),
    meteredSince: prepare("SELECT coalesce(sum(metered_micro_credits), 0) AS n FROM usage_daily WHERE org_id = ? AND day >= ?"),
    meteredSinceForFeature: prepare(
      "SELECT coalesce(sum(metered_micro_credits), 0) AS n FROM usage_daily WHERE org_id = ? AND feature = ? AND day >= ?",
    ),
    openHolds: prepare(`SELECT coalesce(sum(hold_micro_credits), 0) AS n FROM tool_calls WHERE org_id = ? AND ${OPEN}`),
    openHoldsForFeature: prepare(`SELECT coalesce(sum(hold_micro_credits), 0) AS n FROM tool_calls WHERE org_id = ? AND feature = ? AND ${OPEN}`),
    insertNotice: prepare("INSERT INTO budget_notices (budget_id, period_start, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"),
    insertCall: prepare(
      `INSERT INTO tool_calls (id, org_id, feature, provider, state, deployment_mode, hold_micro_credits, wallet_hold_micro_credits,
         idempotency_key, request_hash, markup, credit_usd_value, provider_refs, created_at)
       VALUES (@id, @orgId, @feature, @provider, 'held', @deploymentMode, @holdMicroCredits, @walletHoldMicroCredits,
         @idempotencyKey, @requestHash, @markup, @creditUsdValue, '[]', @now)`,
    ),
    addHeld: prepare("UPDATE wallets SET held_micro_credits = held_micro_credits + ?, updated_at = ? WHERE org_id = ?"),
    markDispatched: prepare("UPDATE tool_calls SET state = 'dispatched', dispatched_at = ? WHERE id = ? AND state = 'held'"),
    addProviderRef: prepare(
      `UPDATE tool_calls SET provider_refs = json_insert(provider_refs, '$[#]', @ref)
        WHERE id = @call AND NOT EXISTS (SELECT 1 FROM json_each(tool_calls.provider_refs) WHERE value = @ref)`,
    ),
    markUnknown: prepare(
      "UPDATE tool_calls SET state = 'unknown', error_code = ?, error_message = ? WHERE id = ? AND state IN ('held', 'dispatched')",
    ),
    insertEvent: prepare(
      `INSERT INTO usage_events (id, tool_call_id, org_id, feature, provider, model, provider_request_id, outcome, prompt_tokens,
         completion_tokens, total_tokens, cost_nano_usd, cost_source, markup, credit_usd_value, charged_micro_credits,
         metered_micro_credits, over_hold, estimated, price_unknown, created_at, settled_at)
       VALUES (@id, @toolCallId, @orgId, @feature, @provider, @model, @providerRequestId, @outcome, @promptTokens,
         @completionTokens, @totalTokens, @costNanoUsd, @costSource, @markup, @creditUsdValue, @chargedMicroCredits,
         @meteredMicroCredits, @overHold, @estimated, @priceUnknown, @createdAt, @settledAt)`,
    ),
    insertSpend: prepare(
      `INSERT INTO credit_transactions (id, org_id, kind, amount_micro_credits, tool_call_id, note, created_at)
       VALUES (?, ?, 'spend', ?, ?, ?, ?)`,
    ),
    resolveWallet: prepare(
      `UPDATE wallets SET balance_micro_credits = balance_micro_credits - ?, held_micro_credits = held_micro_credits - ?, updated_at = ?
        WHERE org_id = ? RETURNING org_id, balance_micro_credits, held_micro_credits`,
    ),
    resolveCall: prepare(
      "UPDATE tool_calls SET state = ?, result_json = ?, error_code = ?, error_message = ?, resolved_at = ? WHERE id = ?",
    ),
    addDaily: prepare(
      `INSERT INTO usage_daily (org_id, feature, day, deployment_mode, calls, events, cost_nano_usd, charged_micro_credits,
         metered_micro_credits, estimated_events, over_hold_events)
       VALUES (@orgId, @feature, @day, @deploymentMode, 1, @events, @cost, @charged, @metered, @estimated, @overHold)
       ON CONFLICT (org_id, day, feature, deployment_mode) DO UPDATE SET
         calls = calls + 1, events = events + excluded.events, cost_nano_usd = cost_nano_usd + excluded.cost_nano_usd,
         charged_micro_credits = charged_micro_credits + excluded.charged_micro_credits,
         metered_micro_credits = metered_micro_credits + excluded.metered_micro_credits,
         estimated_events = estimated_events + excluded.estimated_events, over_hold_events = over_hold_events + excluded.over_hold_events`,
    ),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
