/**
 * One decoder per table: each column's SQL name and driver mapping turn a
 * row from either store into the record drizzle infers for the table
 * (`$inferSelect`). The records the Ledger interface returns are those,
 * narrowed where the domain is narrower.
 *
 * The column lists are written here rather than read from the drizzle schema
 * at run time, so opening a ledger does not load drizzle-orm (a hundred
 * modules, most of a CLI verb's start-up). They cannot drift: tsc checks each
 * list against the schema's record type (every column, and a kind that fits
 * its type), and a test checks each SQL name and mapping against the schema.
 */
import type { UsageSnapshot } from "./audit-types.js";
import type { ConnectionRecord, MemberRecord, OAuthRecord } from "./auth-types.js";
import type { DashboardSession, ReconcileRun } from "./dashboard-types.js";
import { BILLING_TABLE_COLUMNS } from "./billing-rows.js";
import { decoder, type ColumnKinds, type Rec } from "./row-decoder.js";
import type { InstanceRecord } from "./instance-types.js";
import type { TaskRecord } from "./task-types.js";
import type { Row } from "./sql.js";
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

export { sqlName, type ColumnKinds } from "./row-decoder.js";

/** The decoded tables' columns, by their schema export name (the test walks this). */
export const TABLE_COLUMNS = {
  orgs: { id: "text", name: "text", createdAt: "int" } satisfies ColumnKinds<Rec<"orgs">>,
  wallets: {
    orgId: "text",
    balanceMicroCredits: "money",
    heldMicroCredits: "money",
    updatedAt: "int",
    watchBelowMicroCredits: "money",
    watchEpoch: "int",
    topupMicroCredits: "money",
  } satisfies ColumnKinds<Rec<"wallets">>,
  rateCards: {
    feature: "text",
    provider: "text",
    model: "text",
    maxTokens: "int",
    floorMicroCredits: "money",
    description: "text",
    updatedAt: "int",
  } satisfies ColumnKinds<Rec<"rateCards">>,
  budgets: {
    id: "text",
    orgId: "text",
    feature: "text",
    period: "text",
    limitMicroCredits: "money",
    hard: "flag",
    createdAt: "int",
    updatedAt: "int",
  } satisfies ColumnKinds<Rec<"budgets">>,
  toolCalls: {
    id: "text",
    orgId: "text",
    feature: "text",
    provider: "text",
    state: "text",
    deploymentMode: "text",
    holdMicroCredits: "money",
    walletHoldMicroCredits: "money",
    idempotencyKey: "text",
    requestHash: "text",
    markup: "text",
    creditUsdValue: "text",
    providerRefs: "text",
    resultJson: "text",
    errorCode: "text",
    errorMessage: "text",
    createdAt: "int",
    dispatchedAt: "int",
    resolvedAt: "int",
    ownerInstanceId: "text",
    connectionId: "text",
    apiKeyId: "text",
  } satisfies ColumnKinds<Rec<"toolCalls">>,
  usageEvents: {
    id: "text",
    toolCallId: "text",
    orgId: "text",
    feature: "text",
    provider: "text",
    model: "text",
    providerRequestId: "text",
    outcome: "text",
    promptTokens: "int",
    completionTokens: "int",
    totalTokens: "int",
    costNanoUsd: "money",
    costSource: "text",
    markup: "text",
    creditUsdValue: "text",
    chargedMicroCredits: "money",
    meteredMicroCredits: "money",
    overHold: "flag",
    estimated: "flag",
    priceUnknown: "flag",
    belowMarkup: "flag",
    createdAt: "int",
    settledAt: "int",
    connectionId: "text",
    apiKeyId: "text",
  } satisfies ColumnKinds<Rec<"usageEvents">>,
  apiKeys: {
    id: "text",
    orgId: "text",
    name: "text",
    prefix: "text",
    keyHash: "text",
    createdAt: "int",
    lastUsedAt: "int",
    revokedAt: "int",
  } satisfies ColumnKinds<Rec<"apiKeys">>,
  modelPrices: {
    model: "text",
    promptUsd: "text",
    completionUsd: "text",
    requestUsd: "text",
    inputCacheReadUsd: "text",
    inputCacheWriteUsd: "text",
    internalReasoningUsd: "text",
    webSearchUsd: "text",
    maxCompletionTokens: "int",
    fetchedAt: "int",
  } satisfies ColumnKinds<Rec<"modelPrices">>,
  modelPriceOverrides: {
    model: "text",
    promptUsd: "text",
    completionUsd: "text",
    requestUsd: "text",
    note: "text",
    updatedAt: "int",
  } satisfies ColumnKinds<Rec<"modelPriceOverrides">>,
  instances: {
    id: "text",
    host: "text",
    pid: "int",
    pidScope: "text",
    pidStart: "text",
    kind: "text",
    startedAt: "int",
    heartbeatAt: "int",
  } satisfies ColumnKinds<Rec<"instances">>,
  dashboardSessions: {
    idHash: "text",
    orgId: "text",
    keyId: "text",
    operatorBinding: "text",
    createdAt: "int",
    expiresAt: "int",
  } satisfies ColumnKinds<Rec<"dashboardSessions">>,
  reconcileRuns: { id: "text", source: "text", instanceId: "text", finishedAt: "int", summaryJson: "text" } satisfies ColumnKinds<Rec<"reconcileRuns">>,
  providerUsageSnapshots: {
    id: "text",
    provider: "text",
    takenAt: "int",
    usageNanoUsd: "money",
    reason: "text",
  } satisfies ColumnKinds<Rec<"providerUsageSnapshots">>,
  oauthRecords: {
    model: "text",
    idHash: "text",
    payloadJson: "text",
    grantId: "text",
    uid: "text",
    userCode: "text",
    expiresAt: "int",
    consumedAt: "int",
  } satisfies ColumnKinds<Rec<"oauthRecords">>,
  connections: {
    id: "text",
    orgId: "text",
    clientId: "text",
    clientName: "text",
    scope: "text",
    dayCapMicroCredits: "money",
    grantId: "text",
    signedInVia: "text",
    signedInAs: "text",
    createdAt: "int",
    lastUsedAt: "int",
    revokedAt: "int",
  } satisfies ColumnKinds<Rec<"connections">>,
  connectionDaily: {
    connectionId: "text",
    day: "int",
    calls: "int",
    chargedMicroCredits: "money",
    meteredMicroCredits: "money",
  } satisfies ColumnKinds<Rec<"connectionDaily">>,
  members: { orgId: "text", email: "text", createdAt: "int" } satisfies ColumnKinds<Rec<"members">>,
  tasks: {
    id: "text",
    orgId: "text",
    toolCallId: "text",
    tool: "text",
    state: "text",
    statusMessage: "text",
    ttlMs: "int",
    pollIntervalMs: "int",
    createdAt: "int",
    updatedAt: "int",
    expiresAt: "int",
    resolvedAt: "int",
    chargedMicroCredits: "money",
    costNanoUsd: "money",
    errorCode: "text",
    errorMessage: "text",
  } satisfies ColumnKinds<Rec<"tasks">>,
  ...BILLING_TABLE_COLUMNS,
} as const;

const org = decoder<Rec<"orgs">>(TABLE_COLUMNS.orgs);
const wallet = decoder<Rec<"wallets">>(TABLE_COLUMNS.wallets);
const rateCard = decoder<Rec<"rateCards">>(TABLE_COLUMNS.rateCards);
const budget = decoder<Rec<"budgets">>(TABLE_COLUMNS.budgets);
const call = decoder<Rec<"toolCalls">>(TABLE_COLUMNS.toolCalls);
const event = decoder<Rec<"usageEvents">>(TABLE_COLUMNS.usageEvents);
const apiKey = decoder<Rec<"apiKeys">>(TABLE_COLUMNS.apiKeys);
const price = decoder<Rec<"modelPrices">>(TABLE_COLUMNS.modelPrices);
const override = decoder<Rec<"modelPriceOverrides">>(TABLE_COLUMNS.modelPriceOverrides);
const instance = decoder<Rec<"instances">>(TABLE_COLUMNS.instances);
const session = decoder<Rec<"dashboardSessions">>(TABLE_COLUMNS.dashboardSessions);
const run = decoder<Rec<"reconcileRuns">>(TABLE_COLUMNS.reconcileRuns);
const snapshot = decoder<Rec<"providerUsageSnapshots">>(TABLE_COLUMNS.providerUsageSnapshots);
const oauthRecord = decoder<Rec<"oauthRecords">>(TABLE_COLUMNS.oauthRecords);
const connection = decoder<Rec<"connections">>(TABLE_COLUMNS.connections);
const member = decoder<Rec<"members">>(TABLE_COLUMNS.members);
const task = decoder<Rec<"tasks">>(TABLE_COLUMNS.tasks);

export const toOrg = (row: Row): OrgRecord => org(row);
export const toApiKey = (row: Row): ApiKeyRecord => apiKey(row);
export const toModelPrice = (row: Row): ModelPriceRecord => price(row);
export const toPriceOverride = (row: Row): ModelPriceOverride => override(row);
export const toInstance = (row: Row): InstanceRecord => instance(row);
export const toRateCard = (row: Row): RateCardRecord => rateCard(row);
export const toBudget = (row: Row): BudgetRecord => budget(row);
export const toUsageEvent = (row: Row): UsageEventRecord => event(row);
export const toSession = (row: Row): DashboardSession => session(row);
export const toSnapshot = (row: Row): UsageSnapshot => snapshot(row);
export const toOAuthRecord = (row: Row): OAuthRecord => oauthRecord(row);
export const toConnection = (row: Row): ConnectionRecord => connection(row);
export const toMember = (row: Row): MemberRecord => member(row);

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

/** A task row joined with its call's state (`call_state`). */
export function toTask(row: Row): TaskRecord {
  return { ...task(row), callState: row.call_state as CallState };
}
