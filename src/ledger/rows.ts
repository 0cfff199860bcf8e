/**
 * One decoder per table, derived from the reference schema: each column's
 * SQL name and driver mapping turn a row from either store into the record
 * drizzle infers for the table (`$inferSelect`). The records the Ledger
 * interface returns are those (see types.ts); only a column stored as JSON
 * is decoded further here.
 */
import { getTableColumns, type InferSelectModel, type Table } from "drizzle-orm";
import type { UsageSnapshot } from "./audit-types.js";
import type { DashboardSession, ReconcileRun } from "./dashboard-types.js";
import type { InstanceRecord } from "./instance-types.js";
import type { Row } from "./sql.js";
import * as t from "./sqlite/schema.js";
import type {
  ApiKeyRecord,
  BudgetRecord,
  ModelPriceOverride,
  ModelPriceRecord,
  OrgRecord,
  RateCardRecord,
  ToolCallRecord,
  UsageEventRecord,
  WalletRecord,
} from "./types.js";

/** Turns a row (SQL column names, driver values) into the table's record. */
export function tableDecoder<T extends Table>(table: T): (row: Row) => InferSelectModel<T> {
  const columns = Object.entries(getTableColumns(table)).map(([key, column]) => ({ key, name: column.name, column }));
  return (row) => {
    const out: Record<string, unknown> = {};
    for (const { key, name, column } of columns) {
      const value = row[name];
      out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
    }
    return out as InferSelectModel<T>;
  };
}

const wallet = tableDecoder(t.wallets);
const call = tableDecoder(t.toolCalls);
const run = tableDecoder(t.reconcileRuns);

export const toOrg: (row: Row) => OrgRecord = tableDecoder(t.orgs);
export const toApiKey: (row: Row) => ApiKeyRecord = tableDecoder(t.apiKeys);
export const toModelPrice: (row: Row) => ModelPriceRecord = tableDecoder(t.modelPrices);
export const toPriceOverride: (row: Row) => ModelPriceOverride = tableDecoder(t.modelPriceOverrides);
export const toInstance: (row: Row) => InstanceRecord = tableDecoder(t.instances);
export const toRateCard: (row: Row) => RateCardRecord = tableDecoder(t.rateCards);
export const toBudget: (row: Row) => BudgetRecord = tableDecoder(t.budgets);
export const toUsageEvent: (row: Row) => UsageEventRecord = tableDecoder(t.usageEvents);
export const toSession: (row: Row) => DashboardSession = tableDecoder(t.dashboardSessions);
export const toSnapshot: (row: Row) => UsageSnapshot = tableDecoder(t.providerUsageSnapshots);

/** The wallet's money, from a row that may carry only those columns (a RETURNING clause). */
export function toWallet(row: Row): WalletRecord {
  const { orgId, balanceMicroCredits, heldMicroCredits } = wallet(row);
  return { orgId, balanceMicroCredits, heldMicroCredits };
}

export function toCall(row: Row): ToolCallRecord {
  const record = call(row);
  return { ...record, providerRefs: JSON.parse(record.providerRefs) as string[] };
}

export function toReconcileRun(row: Row): ReconcileRun {
  const { summaryJson, ...record } = run(row);
  return { ...record, summary: JSON.parse(summaryJson) as Record<string, number> };
}
