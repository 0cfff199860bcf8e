/**
 * One decoder per table, derived from the reference schema: each column's
 * SQL name and driver mapping turn a row from either store into the record
 * drizzle infers for the table (`$inferSelect`). The records the Ledger
 * interface returns are those, narrowed where the domain is narrower.
 */
import { getTableColumns, type InferSelectModel, type Table } from "drizzle-orm";
import type { Feature } from "../features.js";
import type { InstanceRecord } from "./instance-types.js";
import type { TaskRecord } from "./task-types.js";
import type { Row } from "./sql.js";
import * as t from "./sqlite/schema.js";
import type {
  ApiKeyRecord,
  BudgetRecord,
  ModelPriceOverride,
  ModelPriceRecord,
  OrgRecord,
  CallState,
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

const org = tableDecoder(t.orgs);
const wallet = tableDecoder(t.wallets);
const rateCard = tableDecoder(t.rateCards);
const budget = tableDecoder(t.budgets);
const call = tableDecoder(t.toolCalls);
const event = tableDecoder(t.usageEvents);
const apiKey = tableDecoder(t.apiKeys);
const price = tableDecoder(t.modelPrices);
const override = tableDecoder(t.modelPriceOverrides);
const instance = tableDecoder(t.instances);
const task = tableDecoder(t.tasks);

export const toOrg = (row: Row): OrgRecord => org(row);
export const toApiKey = (row: Row): ApiKeyRecord => apiKey(row);
export const toModelPrice = (row: Row): ModelPriceRecord => price(row);
export const toPriceOverride = (row: Row): ModelPriceOverride => override(row);
export const toInstance = (row: Row): InstanceRecord => {
  const record = instance(row);
  return { ...record, kind: record.kind as InstanceRecord["kind"] };
};

export function toWallet(row: Row): WalletRecord {
  const { orgId, balanceMicroCredits, heldMicroCredits } = wallet(row);
  return { orgId, balanceMicroCredits, heldMicroCredits };
}

export function toRateCard(row: Row): RateCardRecord {
  const card = rateCard(row);
  return { ...card, feature: card.feature as Feature };
}

export function toBudget(row: Row): BudgetRecord {
  const record = budget(row);
  return { ...record, feature: record.feature as Feature | null };
}

export function toCall(row: Row): ToolCallRecord {
  const record = call(row);
  return { ...record, feature: record.feature as Feature, providerRefs: JSON.parse(record.providerRefs) as string[] };
}

export function toUsageEvent(row: Row): UsageEventRecord {
  const record = event(row);
  return { ...record, feature: record.feature as Feature };
}

/** A task row joined with its call's state (`call_state`). */
export function toTask(row: Row): TaskRecord {
  return { ...task(row), callState: row.call_state as CallState };
}
