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

/** The money facts of one feature's hosted events charged at one pricing (their own markup and credit value). */
export interface MarkupMargin {
  /** Decimal text, as the events carry it (e.g. "1.25"). */
  markup: string;
  creditUsdValue: string;
  calls: number;
  events: number;
  costNanoUsd: bigint;
  chargedMicroCredits: bigint;
  /** Events charged below cost x this markup, or below cost. */
  belowMarkupEvents: number;
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
  belowMarkupEvents: number;
  openCalls: number;
  selfHostEvents: number;
  /** The same facts per pricing the events were charged at, lowest markup first; they sum to the figures above. */
  markups: MarkupMargin[];
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
