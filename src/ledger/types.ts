/**
 * The Ledger interface: everything the rest of the program may ask of the
 * money store. One implementation (ledger.ts) serves both stores, SQLite and
 * PostgreSQL, through the Engine each provides.
 *
 * Every operation that checks and then changes runs as ONE write transaction
 * (write-locked in SQLite, row-locked in PostgreSQL), so two processes, on
 * one machine or many, can never both pass a check that only one of them may
 * pass.
 */
import type { BudgetPeriod, DeploymentMode, Feature, PaidProvider } from "../features.js";
import type { ModelListPrices } from "../model-list-prices.js";
import type { BillingLedger } from "./billing-types.js";
import type { DashboardReads } from "./dashboard-types.js";
import type { CostAuditLedger } from "./audit-types.js";
import type { InstanceRecord, InstanceRegistry, OwnerOpenCalls } from "./instance-types.js";
import type { FeatureMargin, FeatureTotal, MarginQuery, MarkupMargin, UsageFilter, UsageQuery } from "./report-types.js";

export type { FeatureMargin, FeatureTotal, InstanceRecord, MarginQuery, MarkupMargin, OwnerOpenCalls, UsageFilter, UsageQuery };

export type CallState = "held" | "dispatched" | "settled" | "voided" | "unknown";
export const OPEN_STATES: readonly CallState[] = ["held", "dispatched", "unknown"];
/** The same, as SQL: a call that is still open. */
export const OPEN_STATE_SQL = `state IN (${OPEN_STATES.map((state) => `'${state}'`).join(", ")})`;
export type TransactionKind = "grant" | "spend" | "refund" | "adjustment";

export interface OrgRecord {
  id: string;
  name: string;
  createdAt: number;
}

export interface WalletRecord {
  orgId: string;
  balanceMicroCredits: bigint;
  heldMicroCredits: bigint;
}

export interface RateCardRecord {
  feature: Feature;
  provider: PaidProvider;
  model: string | null;
  maxTokens: number | null;
  floorMicroCredits: bigint;
  description: string;
  updatedAt: number;
}

export interface RateCardPatch {
  model?: string;
  maxTokens?: number;
  floorMicroCredits?: bigint;
}

export interface BudgetRecord {
  id: string;
  orgId: string;
  feature: Feature | null;
  period: BudgetPeriod;
  limitMicroCredits: bigint;
  hard: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface BudgetInput {
  orgId: string;
  feature: Feature | null;
  period: BudgetPeriod;
  limitMicroCredits: bigint;
  hard: boolean;
}

/** A budget with what has been used of it in its current period. */
export interface BudgetStanding {
  budget: BudgetRecord;
  periodStart: number;
  usedMicroCredits: bigint;
}

export interface ToolCallRecord {
  id: string;
  orgId: string;
  feature: Feature;
  provider: PaidProvider;
  state: CallState;
  deploymentMode: DeploymentMode;
  holdMicroCredits: bigint;
  walletHoldMicroCredits: bigint;
  idempotencyKey: string | null;
  requestHash: string;
  /** Markup and credit value when the hold was placed (null on calls from before they were recorded). */
  markup: string | null;
  creditUsdValue: string | null;
  providerRefs: string[];
  resultJson: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: number;
  dispatchedAt: number | null;
  resolvedAt: number | null;
  /** The server instance that resolves the call while it lives; null when none is recorded. */
  ownerInstanceId: string | null;
}

export interface HoldRequest {
  orgId: string;
  feature: Feature;
  provider: PaidProvider;
  deploymentMode: DeploymentMode;
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
  | { kind: "budget_exceeded"; standing: BudgetStanding; neededMicroCredits: bigint };

/** One provider request's outcome, priced by the metering core. */
export interface UsageEventInput {
  provider: PaidProvider;
  model: string | null;
  providerRequestId: string | null;
  outcome: "ok" | "failed";
  promptTokens: number | null;
  completionTokens: number | null;
  totalTokens: number | null;
  costNanoUsd: bigint;
  costSource: "reported" | "lookup" | "estimated" | "none";
  markup: string;
  creditUsdValue: string;
  chargedMicroCredits: bigint;
  meteredMicroCredits: bigint;
  estimated: boolean;
  /** The model price was unknown at preflight: the hold was only the floor. */
  priceUnknown: boolean;
  createdAt: number;
}

export interface UsageEventRecord extends UsageEventInput {
  id: string;
  toolCallId: string;
  orgId: string;
  feature: Feature;
  overHold: boolean;
  /** Charged below cost x its own markup, or below cost. */
  belowMarkup: boolean;
  settledAt: number;
}

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
export interface ModelPriceRecord extends ModelListPrices {
  model: string;
  fetchedAt: number;
}

/** A price the operator gave a model: USD per prompt token, per completion token, per request. */
export interface ModelPriceOverride {
  model: string;
  promptUsd: string;
  completionUsd: string;
  requestUsd: string;
  note: string | null;
  updatedAt: number;
}

export interface ApiKeyRecord {
  id: string;
  orgId: string;
  name: string | null;
  /** The key's first characters, shown so an operator can tell keys apart. */
  prefix: string;
  keyHash: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface KeyHolder {
  key: ApiKeyRecord;
  orgName: string;
}

export interface Ledger extends InstanceRegistry, DashboardReads, CostAuditLedger {
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
  /** Replaces the cached price list. */
  saveModelPrices(prices: ModelPriceRecord[]): Promise<void>;
  /** The operator's price for a model, if any (read on every paid call, so a change needs no restart). */
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
