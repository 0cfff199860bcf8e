/**
 * The SQLite implementation of the Ledger interface. Paid-call writes go
 * through prepared statements and the group commit (many calls in flight
 * share one durable commit); reads run directly; operator commands use
 * drizzle. better-sqlite3 is synchronous, so every method returns a settled
 * or soon-settled promise.
 */
import type Database from "better-sqlite3";
import type { Feature } from "../features.js";
import { GroupCommit } from "./group-commit.js";
import { applyMigrations } from "./migrate.js";
import { checkFileIntegrity, openDatabase, type LedgerDb } from "./open.js";
import { featureMargins, featureTotals } from "./rollups.js";
import * as admin from "./sqlite-admin.js";
import * as calls from "./sqlite-calls.js";
import { iterateUsage } from "./sqlite-export.js";
import * as keys from "./sqlite-keys.js";
import * as reports from "./sqlite-reports.js";
import { callFromRow, prepareStatements, type Statements } from "./statements.js";
import type {
  ApiKeyRecord,
  BudgetInput,
  CallResult,
  DataQueryInput,
  HoldRequest,
  Ledger,
  MarginQuery,
  ModelPriceOverride,
  ModelPriceRecord,
  RateCardPatch,
  UsageEventInput,
  UsageFilter,
  UsageQuery,
} from "./store.js";

export class SqliteLedger implements Ledger {
  readonly commits: GroupCommit;
  private readonly st: Statements;
  private readonly priceOverride: ReturnType<typeof admin.preparePriceOverride>;

  constructor(
    readonly sqlite: Database.Database,
    private readonly db: LedgerDb,
  ) {
    this.st = prepareStatements(sqlite);
    this.commits = new GroupCommit(sqlite);
    this.priceOverride = admin.preparePriceOverride(db);
  }

  async createOrg(name: string, now: number) {
    return admin.createOrg(this.db, name, now);
  }
  async findOrg(idOrName: string) {
    return admin.findOrg(this.db, idOrName);
  }
  async ensureOrg(name: string, now: number) {
    return admin.ensureOrg(this.db, name, now);
  }
  async listOrgs() {
    return admin.listOrgs(this.db);
  }
  async getWallet(orgId: string) {
    return calls.getWallet(this.st, orgId);
  }
  async grantCredits(orgId: string, amountMicroCredits: bigint, note: string | null, now: number) {
    return admin.grantCredits(this.db, orgId, amountMicroCredits, note, now);
  }
  async listRateCards() {
    return admin.listRateCards(this.db);
  }
  async getRateCard(feature: Feature) {
    return calls.getRateCard(this.st, feature);
  }
  async updateRateCard(feature: Feature, patch: RateCardPatch, now: number) {
    return admin.updateRateCard(this.db, feature, patch, now);
  }
  async setBudget(input: BudgetInput, now: number) {
    return admin.setBudget(this.db, input, now);
  }
  async listBudgets(orgId?: string) {
    return admin.listBudgets(this.db, orgId);
  }
  async budgetStandings(orgId: string, now: number) {
    return admin.listBudgets(this.db, orgId).map((budget) => calls.budgetStanding(this.st, budget, now));
  }

  // The life of a paid call: durable writes through the group commit.
  placeHold(request: HoldRequest) {
    return this.commits.run(() => calls.placeHold(this.st, request));
  }
  markDispatched(callId: string, now: number) {
    return this.commits.run(() => calls.markDispatched(this.st, callId, now));
  }
  addProviderRef(callId: string, ref: string) {
    return this.commits.run(() => calls.addProviderRef(this.st, callId, ref));
  }
  markUnknown(callId: string, errorCode: string, errorMessage: string) {
    return this.commits.run(() => calls.markUnknown(this.st, callId, errorCode, errorMessage));
  }
  settleCall(callId: string, events: UsageEventInput[], result: CallResult, now: number) {
    return this.commits.run(() => calls.settleCall(this.st, callId, events, result, now));
  }
  voidCall(callId: string, events: UsageEventInput[], error: { code: string; message: string }, now: number) {
    return this.commits.run(() => calls.voidCall(this.st, callId, events, error, now));
  }
  async getCall(callId: string) {
    return calls.getCall(this.st, callId);
  }
  async openCalls() {
    return (this.st.openCalls.all() as Record<string, unknown>[]).map(callFromRow);
  }

  async createApiKey(key: Omit<ApiKeyRecord, "lastUsedAt" | "revokedAt">) {
    return keys.createApiKey(this.db, key);
  }
  async listApiKeys(orgId?: string) {
    return keys.listApiKeys(this.db, orgId);
  }
  async keyHolder(keyHash: string) {
    const row = this.st.keyHolder.get(keyHash) as Record<string, unknown> | undefined;
    if (!row) return null;
    const when = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    return {
      key: {
        id: String(row.id),
        orgId: String(row.org_id),
        name: (row.name as string | null) ?? null,
        prefix: String(row.prefix),
        keyHash: String(row.key_hash),
        createdAt: Number(row.created_at),
        lastUsedAt: when(row.last_used_at),
        revokedAt: when(row.revoked_at),
      },
      orgName: String(row.org_name),
    };
  }
  async revokeApiKey(keyId: string, now: number) {
    return keys.revokeApiKey(this.db, keyId, now);
  }
  async touchApiKey(keyId: string, now: number, minIntervalMs: number) {
    keys.touchApiKey(this.db, keyId, now, minIntervalMs);
  }
  async logDataQuery(entry: DataQueryInput) {
    admin.logDataQuery(this.db, entry);
  }
  async loadModelPrices() {
    return admin.loadModelPrices(this.db);
  }
  async saveModelPrices(prices: ModelPriceRecord[]) {
    admin.saveModelPrices(this.db, prices);
  }
  async modelPriceOverride(model: string) {
    return this.priceOverride.get({ model }) ?? null;
  }
  async listModelPriceOverrides() {
    return admin.listModelPriceOverrides(this.db);
  }
  async setModelPriceOverride(price: ModelPriceOverride) {
    return admin.setModelPriceOverride(this.db, price);
  }
  async removeModelPriceOverride(model: string) {
    return admin.removeModelPriceOverride(this.db, model);
  }
  checkWritable(now: number): Promise<void> {
    return this.commits.run(() => void this.st.touchHealth.run(now));
  }
  async checkIntegrity(): Promise<string | null> {
    return checkFileIntegrity(this.sqlite.name);
  }
  async usageEventsOfCall(callId: string) {
    return reports.usageEventsOfCall(this.db, callId);
  }
  async recentUsage(query: UsageQuery) {
    return reports.recentUsage(this.db, query);
  }
  async featureTotals(orgId: string, since?: number, until?: number) {
    return featureTotals(this.sqlite, orgId, since, until);
  }
  async featureMargins(query: MarginQuery) {
    return featureMargins(this.sqlite, query);
  }
  async *iterateUsage(filter: UsageFilter) {
    // Rows are handed out one by one; the iterator holds a read snapshot until it finishes.
    yield* iterateUsage(this.sqlite, filter);
  }
  close(): void {
    if (!this.sqlite.open) return;
    this.commits.flush();
    this.sqlite.close();
  }
}

/** Applies pending migrations to the ledger file at `path`; returns how many ran. */
export function migrateLedger(path: string): number {
  const { sqlite } = openDatabase(path, { migrate: false });
  try {
    return applyMigrations(sqlite);
  } finally {
    sqlite.close();
  }
}

/** Opens (creating and migrating if needed) the ledger file at `path`. */
export function openLedger(path: string): SqliteLedger {
  const { sqlite, db } = openDatabase(path);
  return new SqliteLedger(sqlite, db);
}
