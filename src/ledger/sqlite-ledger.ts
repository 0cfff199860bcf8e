/**
 * The SQLite implementation of the Ledger interface. better-sqlite3 is
 * synchronous: each method does its work (one immediate transaction where it
 * checks then changes) and returns a settled promise.
 */
import type Database from "better-sqlite3";
import type { Feature } from "../features.js";
import { applicableBudgets, budgetStanding } from "./budget-usage.js";
import { applyMigrations } from "./migrate.js";
import { openDatabase, type LedgerDb } from "./open.js";
import * as admin from "./sqlite-admin.js";
import * as calls from "./sqlite-calls.js";
import * as keys from "./sqlite-keys.js";
import * as margins from "./sqlite-margins.js";
import * as reports from "./sqlite-reports.js";
import type {
  ApiKeyRecord,
  BudgetInput,
  CallResult,
  DataQueryInput,
  HoldRequest,
  Ledger,
  MarginQuery,
  ModelPriceRecord,
  RateCardPatch,
  UsageEventInput,
  UsageFilter,
  UsageQuery,
} from "./store.js";

export class SqliteLedger implements Ledger {
  constructor(
    readonly sqlite: Database.Database,
    private readonly db: LedgerDb,
  ) {}

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
    return admin.getWallet(this.db, orgId);
  }
  async grantCredits(orgId: string, amountMicroCredits: bigint, note: string | null, now: number) {
    return admin.grantCredits(this.db, orgId, amountMicroCredits, note, now);
  }
  async listRateCards() {
    return admin.listRateCards(this.db);
  }
  async getRateCard(feature: Feature) {
    return admin.getRateCard(this.db, feature);
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
    return applicableBudgets(this.db, orgId).map((budget) => budgetStanding(this.db, budget, now));
  }
  async placeHold(request: HoldRequest) {
    return calls.placeHold(this.db, request);
  }
  async markDispatched(callId: string, now: number) {
    return calls.markDispatched(this.db, callId, now);
  }
  async addProviderRef(callId: string, ref: string) {
    calls.addProviderRef(this.db, callId, ref);
  }
  async markUnknown(callId: string, errorCode: string, errorMessage: string) {
    return calls.markUnknown(this.db, callId, errorCode, errorMessage);
  }
  async settleCall(callId: string, events: UsageEventInput[], result: CallResult, now: number) {
    return calls.settleCall(this.db, callId, events, result, now);
  }
  async voidCall(callId: string, events: UsageEventInput[], error: { code: string; message: string }, now: number) {
    return calls.voidCall(this.db, callId, events, error, now);
  }
  async getCall(callId: string) {
    return calls.getCall(this.db, callId);
  }
  async openCalls() {
    return calls.openCalls(this.db);
  }
  async createApiKey(key: Omit<ApiKeyRecord, "lastUsedAt" | "revokedAt">) {
    return keys.createApiKey(this.db, key);
  }
  async listApiKeys(orgId?: string) {
    return keys.listApiKeys(this.db, orgId);
  }
  async findApiKeyByHash(keyHash: string) {
    return keys.findApiKeyByHash(this.db, keyHash);
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
  async usageEventsOfCall(callId: string) {
    return reports.usageEventsOfCall(this.db, callId);
  }
  async recentUsage(query: UsageQuery) {
    return reports.recentUsage(this.db, query);
  }
  async featureTotals(orgId: string, since?: number, until?: number) {
    return reports.featureTotals(this.db, orgId, since, until);
  }
  async featureMargins(query: MarginQuery) {
    return margins.featureMargins(this.sqlite, query);
  }
  async *iterateUsage(filter: UsageFilter) {
    // Rows are handed out one by one; the iterator holds a read snapshot until it finishes.
    yield* margins.iterateUsage(this.sqlite, filter);
  }
  close(): void {
    if (this.sqlite.open) this.sqlite.close();
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
