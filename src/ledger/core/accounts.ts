/**
 * Organisations, wallets, grants, rate cards and budgets, once for both
 * stores. Every write that checks an organisation's money or settings first
 * locks its wallet row (see calls.ts), so two operators, or an operator and a
 * paid call, never interleave their checks.
 */
import { newId } from "../../ids.js";
import { MAX_AMOUNT_MICRO_CREDITS, MAX_BALANCE_MICRO_CREDITS, microToCredits, microToCreditsText } from "../../money.js";
import { eventQueries } from "./billing-events.js";
import { lockWatchedWallet, topUpWrites, watchReads, watchState } from "./billing-watch.js";
import { LedgerRefusal } from "../errors.js";
import { toBudget, toOrg, toRateCard, toWallet } from "../rows.js";
import { all, closing, get, getQuery, run, runQuery, together, type Script } from "../script.js";
import { p, statement } from "../sql.js";
import type { BudgetInput, BudgetRecord, OrgRecord, RateCardPatch, RateCardRecord, WalletRecord } from "../types.js";
import { lockWallet, requireRateCard, requireWallet } from "./calls.js";

const orgById = statement("org_by_id", "SELECT * FROM orgs WHERE id = @id", { id: p.text }, toOrg);
const orgByName = statement("org_by_name", "SELECT * FROM orgs WHERE name = @name", { name: p.text }, toOrg);
export const listOrgsSql = statement("list_orgs", "SELECT * FROM orgs ORDER BY created_at, name", {}, toOrg);
const insertOrg = statement("insert_org", "INSERT INTO orgs (id, name, created_at) VALUES (@id, @name, @now) ON CONFLICT (name) DO NOTHING", {
  id: p.text,
  name: p.text,
  now: p.int,
});
const insertWallet = statement(
  "insert_wallet",
  "INSERT INTO wallets (org_id, balance_micro_credits, held_micro_credits, updated_at) VALUES (@orgId, 0, 0, @now)",
  { orgId: p.text, now: p.int },
);
const insertGrant = statement(
  "insert_grant",
  `INSERT INTO credit_transactions (id, org_id, kind, amount_micro_credits, tool_call_id, note, created_at)
   VALUES (@id, @orgId, 'grant', @amount, NULL, @note, @now)`,
  { id: p.text, orgId: p.text, amount: p.money, note: p.textOrNull, now: p.int },
);
const addBalance = statement(
  "add_balance",
  `UPDATE wallets SET balance_micro_credits = balance_micro_credits + @amount, updated_at = @now WHERE org_id = @orgId
   RETURNING org_id, balance_micro_credits, held_micro_credits`,
  { amount: p.money, now: p.int, orgId: p.text },
  toWallet,
);
export const listRateCardsSql = statement("list_rate_cards", "SELECT * FROM rate_cards ORDER BY feature", {}, toRateCard);
const lockRateCard = statement("lock_rate_card", "SELECT * FROM rate_cards WHERE feature = @feature", { feature: p.text }, toRateCard, { forUpdate: true });
const writeRateCard = statement(
  "write_rate_card",
  "UPDATE rate_cards SET model = @model, max_tokens = @maxTokens, floor_micro_credits = @floor, updated_at = @now WHERE feature = @feature",
  { model: p.textOrNull, maxTokens: p.intOrNull, floor: p.money, now: p.int, feature: p.text },
);
const budgetFor = statement(
  "budget_for",
  `SELECT * FROM budgets WHERE org_id = @orgId AND period = @period
     AND ((feature IS NULL AND CAST(@feature AS TEXT) IS NULL) OR feature = @feature)`,
  { orgId: p.text, period: p.text, feature: p.textOrNull },
  toBudget,
);
const updateBudget = statement("update_budget", "UPDATE budgets SET limit_micro_credits = @limit, hard = @hard, updated_at = @now WHERE id = @id", {
  limit: p.money,
  hard: p.flag,
  now: p.int,
  id: p.text,
});
const insertBudget = statement(
  "insert_budget",
  `INSERT INTO budgets (id, org_id, feature, period, limit_micro_credits, hard, created_at, updated_at)
   VALUES (@id, @orgId, @feature, @period, @limit, @hard, @now, @now)`,
  { id: p.text, orgId: p.text, feature: p.textOrNull, period: p.text, limit: p.money, hard: p.flag, now: p.int },
);
export const listBudgetsSql = statement(
  "list_budgets",
  "SELECT * FROM budgets WHERE CAST(@orgId AS TEXT) IS NULL OR org_id = @orgId ORDER BY org_id, created_at",
  { orgId: p.textOrNull },
  toBudget,
);

/** Refuses an amount outside [minimum, MAX_AMOUNT_MICRO_CREDITS], so no sum the ledger keeps can overflow. */
function requireAmount(micro: bigint, what: string, minimum = 0n): void {
  if (micro < minimum || micro > MAX_AMOUNT_MICRO_CREDITS) {
    throw new LedgerRefusal("out_of_range", `${what} must be from ${microToCreditsText(minimum)} to ${microToCreditsText(MAX_AMOUNT_MICRO_CREDITS)} credits`);
  }
}

export function* createOrg(name: string, now: number): Script<OrgRecord> {
  const org = { id: newId("org"), name, createdAt: now };
  if ((yield* run(insertOrg, { id: org.id, name, now })) === 0) {
    const existing = yield* get(orgByName, { name });
    throw new LedgerRefusal("conflict", `an organisation named "${name}" already exists (${existing?.id ?? "?"})`);
  }
  yield* run(insertWallet, { orgId: org.id, now });
  return org;
}

/** The organisation with this id or, failing that, this name. */
export function* findOrg(idOrName: string): Script<OrgRecord | null> {
  return (yield* get(orgById, { id: idOrName })) ?? (yield* get(orgByName, { name: idOrName })) ?? null;
}

/** Finds the organisation by name, creating it (and its wallet) if missing; safe when several processes race to create it. */
export function* ensureOrg(name: string, now: number): Script<OrgRecord> {
  const org = { id: newId("org"), name, createdAt: now };
  if ((yield* run(insertOrg, { id: org.id, name, now })) > 0) {
    yield* run(insertWallet, { orgId: org.id, now });
    return org;
  }
  return (yield* get(orgByName, { name }))!;
}

/**
 * A grant, in two flights: the wallet locked and the balance watch read
 * together, then the grant, the balance, the watch (levels recover and
 * re-arm) and the credits.granted event written with the COMMIT.
 */
export function* grantCredits(orgId: string, amount: bigint, note: string | null, now: number): Script<WalletRecord> {
  requireAmount(amount, "a grant", 1n);
  const [wallet, watched, ...reads] = yield* together(getQuery(lockWallet, { orgId }), getQuery(lockWatchedWallet, { orgId }), ...watchReads(orgId));
  if (!wallet || !watched) throw new LedgerRefusal("not_found", `no organisation with id ${orgId}`);
  if (wallet.balanceMicroCredits + amount > MAX_BALANCE_MICRO_CREDITS) {
    throw new LedgerRefusal(
      "out_of_range",
      `this grant would take the balance above ${microToCreditsText(MAX_BALANCE_MICRO_CREDITS)} credits, the most a wallet holds`,
    );
  }
  const balance = wallet.balanceMicroCredits + amount;
  const granted = eventQueries(
    orgId,
    "credits.granted",
    { credits: microToCredits(amount), source: "operator", note, balance_credits: microToCredits(balance) },
    now,
  );
  const [, credited] = yield* closing(
    runQuery(insertGrant, { id: newId("ctx"), orgId, amount, note, now }),
    getQuery(addBalance, { amount, now, orgId }),
    // A top-up: alert levels recover and re-arm, and the organisation's webhooks hear of it.
    ...topUpWrites(orgId, watchState(watched, reads), amount, now),
    ...granted.queries,
  );
  return credited as WalletRecord;
}

export function* updateRateCard(feature: string, patch: RateCardPatch, now: number): Script<RateCardRecord> {
  const card = yield* get(lockRateCard, { feature });
  if (!card) throw new LedgerRefusal("not_found", `no rate card for feature ${feature}`);
  if (card.provider !== "openrouter" && (patch.model !== undefined || patch.maxTokens !== undefined)) {
    throw new LedgerRefusal("conflict", `${feature} is not an LLM feature: it has no model or max_tokens`);
  }
  if (patch.floorMicroCredits !== undefined) requireAmount(patch.floorMicroCredits, "a floor");
  yield* run(writeRateCard, {
    model: patch.model ?? card.model,
    maxTokens: patch.maxTokens ?? card.maxTokens,
    floor: patch.floorMicroCredits ?? card.floorMicroCredits,
    now,
    feature,
  });
  return yield* requireRateCard(feature);
}

/** Creates the budget or, when one exists for the same organisation, feature and period, replaces its limit. */
export function* setBudget(input: BudgetInput, now: number): Script<BudgetRecord> {
  requireAmount(input.limitMicroCredits, "a budget");
  yield* requireWallet(input.orgId, true);
  const existing = yield* get(budgetFor, { orgId: input.orgId, period: input.period, feature: input.feature });
  const hard = input.hard ? (1 as const) : (0 as const);
  if (existing) {
    yield* run(updateBudget, { limit: input.limitMicroCredits, hard, now, id: existing.id });
    return { ...existing, limitMicroCredits: input.limitMicroCredits, hard: input.hard, updatedAt: now };
  }
  const budget: BudgetRecord = { id: newId("bud"), ...input, createdAt: now, updatedAt: now };
  yield* run(insertBudget, { id: budget.id, orgId: input.orgId, feature: input.feature, period: input.period, limit: input.limitMicroCredits, hard, now });
  return budget;
}

export function listBudgets(orgId?: string): Script<BudgetRecord[]> {
  return all(listBudgetsSql, { orgId: orgId ?? null });
}
