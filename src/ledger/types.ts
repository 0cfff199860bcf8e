/**
 * The Ledger interface: everything the rest of the program may ask of the
 * money store. One implementation (ledger.ts) serves both stores, SQLite and
 * PostgreSQL, through the Engine each provides.
 *
 * Every operation that checks and then changes runs as ONE write transaction
 * (write-locked in SQLite, row-locked in PostgreSQL), so two processes, on
 * one machine or many, can never both pass a check that only one of them may
 * pass.
 *
 * A record of a table is the row drizzle infers from the reference schema
 * (sqlite/schema.ts, `$inferSelect`), where its columns' narrower domains are
 * declared (`$type`): a new column appears here by itself, and a record can
 * never disagree with the row it is decoded from (rows.ts).
 */
import type { Feature, PaidProvider } from "../features.js";
import type { ModelListPrices } from "../model-list-prices.js";
import type { AuthLedger } from "./auth-types.js";
import type { BillingLedger } from "./billing-types.js";
import type { DashboardReads } from "./dashboard-types.js";
import type { CostAuditLedger } from "./audit-types.js";
import type { InstanceRecord, InstanceRegistry, OwnerOpenCalls } from "./instance-types.js";
import type { TaskLedger } from "./task-types.js";
import type { FeatureMargin, FeatureTotal, MarginQuery, MarkupMargin, UsageFilter, UsageQuery } from "./report-types.js";
import type * as schema from "./sqlite/schema.js";

export type { FeatureMargin, FeatureTotal, InstanceRecord, MarginQuery, MarkupMargin, OwnerOpenCalls, UsageFilter, UsageQuery };

/** A table's row as drizzle infers it from the reference schema. */
export type RowOf<T extends { $inferSelect: unknown }> = T["$inferSelect"];

export type CallState = ToolCallRecord["state"];
/** The states of a call that is still open (the schema's open-call index uses them, so they are not typed from it). */
export const OPEN_STATES = ["held", "dispatched", "unknown"] as const;
type _OpenStatesAreStates = Expect<(typeof OPEN_STATES)[number] extends CallState ? true : false>;
/** The same, as SQL: a call that is still open. */
/** True while a call can still change state (held, dispatched or unknown). */
export const isOpenState = (state: CallState): boolean => (OPEN_STATES as readonly CallState[]).includes(state);
export const OPEN_STATE_SQL: string = `state IN (${OPEN_STATES.map((state) => `'${state}'`).join(", ")})`;
export type TransactionKind = RowOf<typeof schema.creditTransactions>["kind"];

export type OrgRecord = RowOf<typeof schema.orgs>;

/** A wallet's money: its cached balance and what open calls hold of it. */
export type WalletRecord = Pick<RowOf<typeof schema.wallets>, "orgId" | "balanceMicroCredits" | "heldMicroCredits">;

export type RateCardRecord = RowOf<typeof schema.rateCards>;

export interface RateCardPatch {
  model?: string;
  maxTokens?: number;
  floorMicroCredits?: bigint;
}

/** A budget; `connectionId` is set on a connection's daily cap, which counts that connection's spend and holds only (it is not a row of the budgets table). */
export type BudgetRecord = RowOf<typeof schema.budgets> & { connectionId?: string };

export type BudgetInput = Pick<BudgetRecord, "orgId" | "feature" | "period" | "limitMicroCredits" | "hard">;

/** A budget with what has been used of it in its current period. */
export interface BudgetStanding {
  budget: BudgetRecord;
  periodStart: number;
  usedMicroCredits: bigint;
}

/**
 * A paid call: its state, what it holds, the pricing it was held at (markup,
 * credit value: null on calls from before they were recorded), its provider
 * references (stored as a JSON array, decoded), and the server instance that
 * resolves it while it lives (null when none is recorded).
 */
export type ToolCallRecord = Omit<RowOf<typeof schema.toolCalls>, "providerRefs"> & { providerRefs: string[] };

export interface HoldRequest {
  orgId: string;
  feature: Feature;
  provider: PaidProvider;
  deploymentMode: ToolCallRecord["deploymentMode"];
  /** Reserved against budgets while the call is open. */
  holdMicroCredits: bigint;
  /** Reserved on the wallet while the call is open; 0 when the wallet is not charged (self_host). */
  walletHoldMicroCredits: bigint;
  idempotencyKey: string | null;
  requestHash: string;
  markup: string;
  creditUsdValue: string;
  /** The registered server instance placing the hold (null outside a server: nobody's heartbeat vouches for it). */
  ownerInstanceId: string | null;
  /** The connection the call came through: its daily cap is checked with the other hard budgets, and a revoked one refused. */
  connectionId: string | null;
  /** The API key the call came through (recorded only). */
  apiKeyId: string | null;
  now: number;
}

export interface SoftBudgetCrossing extends BudgetStanding {
  /** True the first time this budget is crossed in this period: the moment to notify. */
  firstNotice: boolean;
}

export type HoldOutcome =
  | { kind: "placed"; call: ToolCallRecord; wallet: WalletRecord; softBudgetsCrossed: SoftBudgetCrossing[] }
  | { kind: "existing"; call: ToolCallRecord }
  | { kind: "insufficient_credits"; availableMicroCredits: bigint; neededMicroCredits: bigint }
  | { kind: "budget_exceeded"; standing: BudgetStanding; neededMicroCredits: bigint }
  | { kind: "connection_revoked" };

/** One provider request's outcome as the ledger records it (see the usage_events columns). */
export type UsageEventRecord = RowOf<typeof schema.usageEvents>;

/**
 * One provider request's outcome, priced by the metering core: the event
 * without what the ledger adds when it records it (ids, the call's feature,
 * the over-hold and below-markup flags, the settle time, what the call came through).
 */
export type UsageEventInput = Omit<
  UsageEventRecord,
  "id" | "toolCallId" | "orgId" | "feature" | "overHold" | "belowMarkup" | "settledAt" | "connectionId" | "apiKeyId"
>;

/** How a settled call ended: a result to replay, or an error to repeat (the work was still paid for). */
export type CallResult = { resultJson: string } | { error: { code: string; message: string } };

export interface ResolveOutcome {
  /** False when the call had already been settled or voided: the second resolution is a no-op. */
  applied: boolean;
  call: ToolCallRecord;
  wallet: WalletRecord;
  /** The settle took the balance under its watch level: the billing processor has a signal to act on. */
  signalled?: boolean;
}

export interface DataQueryInput {
  orgId: string;
  source: string;
  dataset: string;
  query: string;
  rowCount: number;
  now: number;
}

/** A model's price as OpenRouter lists it, cached. */
export type ModelPriceRecord = RowOf<typeof schema.modelPrices>;
// The cache holds every component the price list has: a component added to the list needs a column.
type _CacheHoldsTheList = Expect<ModelPriceRecord extends ModelListPrices ? true : false>;
/** A compile-time check: `Expect<false>` does not compile. */
export type Expect<T extends true> = T;

/** A price the operator gave a model: USD per prompt token, per completion token, per request. */
export type ModelPriceOverride = RowOf<typeof schema.modelPriceOverrides>;

/** An API key as stored: its hash and first characters (shown so an operator can tell keys apart), never the key. */
export type ApiKeyRecord = RowOf<typeof schema.apiKeys>;

export interface KeyHolder {
  key: ApiKeyRecord;
  orgName: string;
}

export interface Ledger extends InstanceRegistry, DashboardReads, CostAuditLedger, AuthLedger, TaskLedger {
  /** Money coming in: packs, Stripe purchases, auto-recharge, alerts, the webhook outbox. */
  readonly billing: BillingLedger;

  // organisations and wallets
  createOrg(name: string, now: number): Promise<OrgRecord>;
  /** The organisation with this id or, failing that, this name. */
  findOrg(idOrName: string): Promise<OrgRecord | null>;
  /** Finds the organisation by name, creating it (and its wallet) if missing. */
  ensureOrg(name: string, now: number): Promise<OrgRecord>;
  listOrgs(): Promise<OrgRecord[]>;
  getWallet(orgId: string): Promise<WalletRecord>;
  grantCredits(orgId: string, amountMicroCredits: bigint, note: string | null, now: number): Promise<WalletRecord>;

  // rate cards and budgets
  listRateCards(): Promise<RateCardRecord[]>;
  getRateCard(feature: Feature): Promise<RateCardRecord>;
  updateRateCard(feature: Feature, patch: RateCardPatch, now: number): Promise<RateCardRecord>;
  setBudget(input: BudgetInput, now: number): Promise<BudgetRecord>;
  listBudgets(orgId?: string): Promise<BudgetRecord[]>;
  budgetStandings(orgId: string, now: number): Promise<BudgetStanding[]>;

  // the life of a paid call
  placeHold(request: HoldRequest): Promise<HoldOutcome>;
  markDispatched(callId: string, now: number): Promise<boolean>;
  addProviderRef(callId: string, ref: string): Promise<void>;
  markUnknown(callId: string, errorCode: string, errorMessage: string): Promise<boolean>;
  settleCall(callId: string, events: UsageEventInput[], result: CallResult, now: number): Promise<ResolveOutcome>;
  voidCall(callId: string, events: UsageEventInput[], error: { code: string; message: string }, now: number): Promise<ResolveOutcome>;
  getCall(callId: string): Promise<ToolCallRecord | null>;
  openCalls(): Promise<ToolCallRecord[]>;
  usageEventsOfCall(callId: string): Promise<UsageEventRecord[]>;

  // API keys (only hashes are stored)
  createApiKey(key: Omit<ApiKeyRecord, "lastUsedAt" | "revokedAt">): Promise<ApiKeyRecord>;
  listApiKeys(orgId?: string): Promise<ApiKeyRecord[]>;
  /** The key with this hash and its organisation's name, in one read (every HTTP request does this). */
  keyHolder(keyHash: string): Promise<KeyHolder | null>;
  /** Revokes a key; false when no live key has that id. */
  revokeApiKey(keyId: string, now: number): Promise<boolean>;
  /** Records a use, at most once per `minIntervalMs` (so authentication is not a write per request). */
  touchApiKey(keyId: string, now: number, minIntervalMs: number): Promise<void>;

  // free public data
  /** One row per free data query: no wallet, no charge. */
  logDataQuery(entry: DataQueryInput): Promise<void>;

  // model price cache and the operator's own prices
  loadModelPrices(): Promise<ModelPriceRecord[]>;
  /** What identifies the stored list ("count:fetched_at"): when it moves, the list was replaced (by this or another server). */
  modelPriceListStamp(): Promise<string>;
  /** Replaces the cached price list. */
  saveModelPrices(prices: ModelPriceRecord[]): Promise<void>;
  /** The operator's price for a model, if any (read on every paid call, from the read cache in a server, so a change needs no restart). */
  modelPriceOverride(model: string): Promise<ModelPriceOverride | null>;
  listModelPriceOverrides(): Promise<ModelPriceOverride[]>;
  setModelPriceOverride(price: ModelPriceOverride): Promise<ModelPriceOverride>;
  /** False when the model had no operator price. */
  removeModelPriceOverride(model: string): Promise<boolean>;

  /** Proves the ledger can still make a durable commit (a one-row write); throws what the storage said otherwise. */
  checkWritable(now: number): Promise<void>;
  /** Reads the whole store back from scratch (not from a cache); null when sound, otherwise what is wrong. */
  checkIntegrity(): Promise<string | null>;

  // reporting
  recentUsage(query: UsageQuery): Promise<UsageEventRecord[]>;
  featureTotals(orgId: string, since?: number, until?: number): Promise<FeatureTotal[]>;
  featureMargins(query: MarginQuery): Promise<FeatureMargin[]>;
  /** Usage events oldest first, a page at a time (a million rows never sit in memory). */
  iterateUsage(filter: UsageFilter): AsyncIterable<UsageEventRecord>;
  /** Every broken invariant (see core/invariants.ts); empty when the ledger is sound. */
  checkInvariants(): Promise<string[]>;
  /** Rebuilds the daily rollup from the events, after events were written in bulk. */
  rebuildDailyRollup(): Promise<void>;

  close(): Promise<void>;
}
