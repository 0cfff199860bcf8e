/** Row <-> record mapping shared by the SQLite ledger's modules. */
import type { Feature } from "../features.js";
import { budgets, rateCards, usageEvents } from "./schema.js";
import type { BudgetRecord, RateCardRecord, UsageEventRecord } from "./store.js";

export function toRateCardRecord(row: typeof rateCards.$inferSelect): RateCardRecord {
  return { ...row, feature: row.feature as Feature };
}

export function toBudgetRecord(row: typeof budgets.$inferSelect): BudgetRecord {
  return { ...row, feature: row.feature as Feature | null };
}

export function toUsageRecord(row: typeof usageEvents.$inferSelect): UsageEventRecord {
  return { ...row, feature: row.feature as Feature };
}
