/** What the ledger gives `ecn-mcp audit-costs`: provider costs by day and request, and providers' own usage snapshots. */
import type { PaidProvider } from "../features.js";
import type { providerUsageSnapshots } from "./sqlite/schema.js";
import type { RowOf } from "./types.js";

/** What a provider said, at `takenAt`, a key had been billed in total. */
export type UsageSnapshot = RowOf<typeof providerUsageSnapshots>;
export type SnapshotReason = UsageSnapshot["reason"];

/** Events of one provider whose request was sent in [from, to) (usage_events.created_at). */
export interface ProviderWindow {
  provider: PaidProvider;
  from: number;
  to: number;
}

/** One provider's recorded cost on one UTC day (by when the requests were sent), every organisation and mode. */
export interface ProviderDayCost {
  /** Epoch ms of the UTC midnight. */
  day: number;
  events: number;
  costNanoUsd: bigint;
  /** Of which charged as estimates (the provider's own figure was not known). */
  estimatedEvents: number;
  estimatedNanoUsd: bigint;
}

/** One provider request the ledger recorded (an OpenRouter generation, an Apify run). */
export interface RecordedRequest {
  ref: string;
  toolCallId: string;
  costNanoUsd: bigint;
  estimated: boolean;
  createdAt: number;
}

export interface CostAuditLedger {
  recordUsageSnapshot(snapshot: UsageSnapshot): Promise<void>;
  /** The provider's latest snapshot taken at or before `at`. */
  snapshotAtOrBefore(provider: PaidProvider, at: number): Promise<UsageSnapshot | null>;
  /** The provider's earliest snapshot taken in [from, to). */
  firstSnapshotIn(provider: PaidProvider, from: number, to: number): Promise<UsageSnapshot | null>;
  providerCostByDay(window: ProviderWindow): Promise<ProviderDayCost[]>;
  /** Requests with a provider reference, oldest first. */
  providerRequests(window: ProviderWindow): Promise<RecordedRequest[]>;
}
