/** Organisations, wallets, grants, rate cards and budgets in the SQLite ledger. */
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { EcnError } from "../errors.js";
import type { Feature } from "../features.js";
import { newId } from "../ids.js";
import type { LedgerConn, LedgerDb } from "./open.js";
import { toBudgetRecord, toRateCardRecord } from "./rows.js";
import { budgets, creditTransactions, dataQueryLog, modelPrices, orgs, rateCards, wallets } from "./schema.js";
import type {
  BudgetInput,
  BudgetRecord,
  DataQueryInput,
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
      if (existing) throw new EcnError("invalid_input", `an organisation named "${name}" already exists (${existing.id})`);
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
  if (!row) throw new EcnError("invalid_input", `no organisation with id ${orgId}`);
  return row;
}

export function grantCredits(
  db: LedgerDb,
  orgId: string,
  amountMicroCredits: bigint,
  note: string | null,
  now: number,
): WalletRecord {
  if (amountMicroCredits <= 0n) throw new EcnError("invalid_input", "a grant must be a positive amount of credits");
  return db.transaction(
    (tx) => {
      getWallet(tx, orgId);
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
  if (!row) throw new EcnError("invalid_input", `no rate card for feature ${feature}`);
  return toRateCardRecord(row);
}

export function updateRateCard(db: LedgerDb, feature: Feature, patch: RateCardPatch, now: number): RateCardRecord {
  return db.transaction(
    (tx) => {
      const card = getRateCard(tx, feature);
      if (card.provider !== "openrouter" && (patch.model !== undefined || patch.maxTokens !== undefined)) {
        throw new EcnError("invalid_input", `${feature} is not an LLM feature: it has no model or max_tokens`);
      }
      const changes: Partial<typeof rateCards.$inferInsert> = { updatedAt: now };
      if (patch.model !== undefined) changes.model = patch.model;
      if (patch.maxTokens !== undefined) changes.maxTokens = patch.maxTokens;
      if (patch.floorMicroCredits !== undefined) changes.floorMicroCredits = patch.floorMicroCredits;
      tx.update(rateCards).set(changes).where(eq(rateCards.feature, feature)).run();
      return getRateCard(tx, feature);
    },
    { behavior: "immediate" },
  );
}

/** Creates the budget or, when one exists for the same organisation, feature and period, replaces its limit. */
export function setBudget(db: LedgerDb, input: BudgetInput, now: number): BudgetRecord {
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
