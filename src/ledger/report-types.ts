/** What the ledger's reports take and give: usage windows, per-feature totals and margins. */
import type { Feature } from "../features.js";

export interface UsageQuery {
  orgId: string;
  since?: number;
  until?: number;
  feature?: Feature;
  limit: number;
  /** Keyset pagination: only events older than this one (newest first). */
  before?: { settledAt: number; id: string };
}

export interface MarginQuery {
  since?: number;
  until?: number;
  orgId?: string;
}

/** Per-feature money facts over settled hosted calls, plus what is still open or self-hosted. */
export interface FeatureMargin {
  feature: Feature;
  calls: number;
  events: number;
  costNanoUsd: bigint;
  chargedMicroCredits: bigint;
  estimatedEvents: number;
  overHoldEvents: number;
  openCalls: number;
  selfHostEvents: number;
}

export interface UsageFilter {
  orgId?: string;
  feature?: Feature;
  since?: number;
  until?: number;
}

export interface FeatureTotal {
  feature: Feature;
  events: number;
  costNanoUsd: bigint;
  chargedMicroCredits: bigint;
}
