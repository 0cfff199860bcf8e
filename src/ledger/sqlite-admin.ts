/** Organisations, wallets, grants, rate cards and budgets in the SQLite ledger. */
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { LedgerRefusal } from "./errors.js";
import type { Feature } from "../features.js";
import { newId } from "../ids.js";
import { MAX_AMOUNT_MICRO_CREDITS, MAX_BALANCE_MICRO_CREDITS, microToCreditsText } from "../money.js";
import type { LedgerConn, LedgerDb } from "./open.js";
import { toBudgetRecord, toRateCardRecord } from "./rows.js";
import { budgets, creditTransactions, dataQueryLog, modelPriceOverrides, modelPrices, orgs, rateCards, wallets } from "./schema.js";
import type {
  BudgetInput,
  BudgetRecord,
  DataQueryInput,
  ModelPriceOverride,
  ModelPriceRecord,
  OrgRecord,
  RateCardPatch,
  RateCardRecord,
  WalletRecord,
} from "./store.js";

export function createOrg(db: LedgerDb, name: string, now: number): OrgRecord {
  return db.transaction(
    (tx) => {
      const existing = tx.select().from(orgs).where(eq(orgs.name, name)).get();
      if (existing) throw new LedgerRefusal("conflict", `an organisation named "${name}" already exists (${existing.id})`);
      const org = { id: newId("org"), name, createdAt: now };
      tx.insert(orgs).values(org).run();
      tx.insert(wallets).values({ orgId: org.id, updatedAt: now }).run();
      return org;
    },
    { behavior: "immediate" },
  );
}

export function findOrg(db: LedgerDb, idOrName: string): OrgRecord | null {
  return (
    db.select().from(orgs).where(eq(orgs.id, idOrName)).get() ??
    db.select().from(orgs).where(eq(orgs.name, idOrName)).get() ??
    null
  );
}

export function ensureOrg(db: LedgerDb, name: string, now: number): OrgRecord {
  const found = db.select().from(orgs).where(eq(orgs.name, name)).get();
  if (found) return found;
  return db.transaction(
    (tx) => {
      const raced = tx.select().from(orgs).where(eq(orgs.name, name)).get();
      if (raced) return raced;
      const org = { id: newId("org"), name, createdAt: now };
      tx.insert(orgs).values(org).run();
      tx.insert(wallets).values({ orgId: org.id, updatedAt: now }).run();
      return org;
    },
    { behavior: "immediate" },
  );
}

export function listOrgs(db: LedgerDb): OrgRecord[] {
  return db.select().from(orgs).orderBy(asc(orgs.createdAt), asc(orgs.name)).all();
}

/** Refuses an amount outside [minimum, MAX_AMOUNT_MICRO_CREDITS], so no sum the ledger keeps can overflow. */
function requireAmount(micro: bigint, what: string, minimum = 0n): void {
  if (micro < minimum || micro > MAX_AMOUNT_MICRO_CREDITS) {
    throw new LedgerRefusal("out_of_range", `${what} must be from ${microToCreditsText(minimum)} to ${microToCreditsText(MAX_AMOUNT_MICRO_CREDITS)} credits`);
  }
}

export function getWallet(db: LedgerConn, orgId: string): WalletRecord {
  const row = db
    .select({
      orgId: wallets.orgId,
      balanceMicroCredits: wallets.balanceMicroCredits,
      heldMicroCredits: wallets.heldMicroCredits,
    })
    .from(wallets)
    .where(eq(wallets.orgId, orgId))
    .get();
  if (!row) throw new LedgerRefusal("not_found", `no organisation with id ${orgId}`);
  return row;
}

export function grantCredits(
  db: LedgerDb,
  orgId: string,
  amountMicroCredits: bigint,
  note: string | null,
  now: number,
): WalletRecord {
  requireAmount(amountMicroCredits, "a grant", 1n);
  return db.transaction(
    (tx) => {
      const wallet = getWallet(tx, orgId);
      if (wallet.balanceMicroCredits + amountMicroCredits > MAX_BALANCE_MICRO_CREDITS) {
        throw new LedgerRefusal("out_of_range", `this grant would take the balance above ${microToCreditsText(MAX_BALANCE_MICRO_CREDITS)} credits, the most a wallet holds`);
      }
      tx.insert(creditTransactions)
        .values({ id: newId("ctx"), orgId, kind: "grant", amountMicroCredits, note, createdAt: now })
        .run();
      tx.update(wallets)
        .set({ balanceMicroCredits: sql`${wallets.balanceMicroCredits} + ${amountMicroCredits}`, updatedAt: now })
        .where(eq(wallets.orgId, orgId))
        .run();
      return getWallet(tx, orgId);
    },
    { behavior: "immediate" },
  );
}

export function listRateCards(db: LedgerDb): RateCardRecord[] {
  return db.select().from(rateCards).orderBy(asc(rateCards.feature)).all().map(toRateCardRecord);
}

export function getRateCard(db: LedgerConn, feature: Feature): RateCardRecord {
  const row = db.select().from(rateCards).where(eq(rateCards.feature, feature)).get();
  if (!row) throw new LedgerRefusal("not_found", `no rate card for feature ${feature}`);
  return toRateCardRecord(row);
}

export function updateRateCard(db: LedgerDb, feature: Feature, patch: RateCardPatch, now: number): RateCardRecord {
  return db.transaction(
    (tx) => {
      const card = getRateCard(tx, feature);
      if (card.provider !== "openrouter" && (patch.model !== undefined || patch.maxTokens !== undefined)) {
        throw new LedgerRefusal("conflict", `${feature} is not an LLM feature: it has no model or max_tokens`);
      }
      const changes: Partial<typeof rateCards.$inferInsert> = { updatedAt: now };
      if (patch.model !== undefined) changes.model = patch.model;
      if (patch.maxTokens !== undefined) changes.maxTokens = patch.maxTokens;
      if (patch.floorMicroCredits !== undefined) {
        requireAmount(patch.floorMicroCredits, "a floor");
        changes.floorMicroCredits = patch.floorMicroCredits;
      }
      tx.update(rateCards).set(changes).where(eq(rateCards.feature, feature)).run();
      return getRateCard(tx, feature);
    },
    { behavior: "immediate" },
  );
}

/** Creates the budget or, when one exists for the same organisation, feature and period, replaces its limit. */
export function setBudget(db: LedgerDb, input: BudgetInput, now: number): BudgetRecord {
  requireAmount(input.limitMicroCredits, "a budget");
  return db.transaction(
    (tx) => {
      const featureMatch = input.feature === null ? isNull(budgets.feature) : eq(budgets.feature, input.feature);
      const existing = tx
        .select()
        .from(budgets)
        .where(and(eq(budgets.orgId, input.orgId), eq(budgets.period, input.period), featureMatch))
        .get();
      if (existing) {
        tx.update(budgets)
          .set({ limitMicroCredits: input.limitMicroCredits, hard: input.hard, updatedAt: now })
          .where(eq(budgets.id, existing.id))
          .run();
        return toBudgetRecord({ ...existing, limitMicroCredits: input.limitMicroCredits, hard: input.hard, updatedAt: now });
      }
      const row = { id: newId("bud"), ...input, createdAt: now, updatedAt: now };
      tx.insert(budgets).values(row).run();
      return toBudgetRecord(row);
    },
    { behavior: "immediate" },
  );
}

export function listBudgets(db: LedgerDb, orgId?: string): BudgetRecord[] {
  const query = db.select().from(budgets);
  const rows = (orgId ? query.where(eq(budgets.orgId, orgId)) : query)
    .orderBy(asc(budgets.orgId), asc(budgets.createdAt))
    .all();
  return rows.map(toBudgetRecord);
}

export function loadModelPrices(db: LedgerConn): ModelPriceRecord[] {
  return db.select().from(modelPrices).all();
}

export function saveModelPrices(db: LedgerDb, prices: ModelPriceRecord[]): void {
  db.transaction(
    (tx) => {
      tx.delete(modelPrices).run();
      // Chunked: SQLite limits the number of bound parameters per statement.
      for (let i = 0; i < prices.length; i += 100) tx.insert(modelPrices).values(prices.slice(i, i + 100)).run();
    },
    { behavior: "immediate" },
  );
}

/** The operator's price of one model, prepared once: it is read on every paid LLM call. */
export function preparePriceOverride(db: LedgerDb) {
  return db.select().from(modelPriceOverrides).where(eq(modelPriceOverrides.model, sql.placeholder("model"))).prepare();
}

export function listModelPriceOverrides(db: LedgerConn): ModelPriceOverride[] {
  return db.select().from(modelPriceOverrides).orderBy(asc(modelPriceOverrides.model)).all();
}

export function setModelPriceOverride(db: LedgerDb, price: ModelPriceOverride): ModelPriceOverride {
  db.insert(modelPriceOverrides)
    .values(price)
    .onConflictDoUpdate({ target: modelPriceOverrides.model, set: { ...price } })
    .run();
  return price;
}

export function removeModelPriceOverride(db: LedgerDb, model: string): boolean {
  return db.delete(modelPriceOverrides).where(eq(modelPriceOverrides.model, model)).run().changes > 0;
}

export function logDataQuery(db: LedgerDb, entry: DataQueryInput): void {
  db.insert(dataQueryLog)
    .values({
      id: newId("dq"),
      orgId: entry.orgId,
      source: entry.source,
      dataset: entry.dataset,
      query: entry.query,
      rowCount: entry.rowCount,
      createdAt: entry.now,
    })
    .run();
}
