/**
 * The cost audit's report and the arithmetic its comparisons share.
 *
 * `ecn-mcp audit-costs`: the ledger's provider costs checked against each
 * provider's own account of the same period. The gap is what the provider
 * says it billed minus what the ledger recorded (positive: spend the ledger
 * does not know, negative: cost the ledger recorded that was not billed), in
 * USD and as a percentage of the provider's figure; it fails when it is
 * beyond the tolerance, when the provider knows requests the ledger does not
 * (unmetered spend), or the reverse. Where a provider gives no figure, the
 * report says so instead of guessing.
 */
import type { PaidProvider } from "../features.js";
import type { Ledger } from "../ledger/index.js";
import { nanoToUsd, type Decimal } from "../money.js";
import type { ApifyAudit } from "../providers/apify-audit.js";
import type { OpenRouterAudit } from "../providers/openrouter-audit.js";

export const DAY_MS = 86_400_000;

export type AuditStatus = "ok" | "gap" | "unverified" | "skipped" | "error";

/** One UTC day: what the ledger recorded and what the provider says it billed. */
export interface AuditDay {
  date: string;
  ledger_usd: number;
  provider_usd: number;
  gap_usd: number;
  gap_pct: number | null;
  /** Null where the day's provider figure is for information only (it covers more than this ledger's key or actor). */
  within_tolerance: boolean | null;
  /** Where the provider's figure comes from. */
  source: string;
  /** Apify: the whole account's usage that day (every actor, storage...), for information. */
  account_usd?: number;
}

export interface AuditRequest {
  id: string;
  usd: number | null;
  at: string;
  status?: string;
  tool_call_id?: string;
}

export interface ProviderAudit {
  provider: PaidProvider;
  status: AuditStatus;
  /** Why the provider was skipped, could not be asked, or could not be verified. */
  reason: string | null;
  /** The interval the totals cover and what the provider's total is made of (null when no total could be compared). */
  compared: { from: string; to: string; basis: string } | null;
  ledger_usd: number | null;
  provider_usd: number | null;
  gap_usd: number | null;
  gap_pct: number | null;
  within_tolerance: boolean | null;
  days: AuditDay[];
  /** Spend the provider knows and the ledger does not: must be zero. */
  unmetered: { usd: number; requests: AuditRequest[] };
  /** Requests the ledger recorded that the provider does not know. */
  unknown_to_provider: AuditRequest[];
  /** Requests both know, at different costs (estimates excluded). */
  cost_mismatches: { id: string; ledger_usd: number; provider_usd: number }[];
  /** Events charged as estimates (the provider's own figure was never known): part of the ledger's total. */
  estimated: { events: number; usd: number };
  open_calls: number;
  notes: string[];
}

export interface CostAuditReport {
  since: string;
  until: string;
  tolerance_pct: number;
  providers: ProviderAudit[];
  /** False when some provider has a gap or could not be asked. */
  ok: boolean;
}

export interface CostAuditDeps {
  ledger: Ledger;
  openrouter: OpenRouterAudit | undefined;
  apify: ApifyAudit | undefined;
  leadSignalActor: string;
  now: () => number;
}

export interface AuditWindow {
  since: number;
  /** Exclusive; null: up to the moment of the audit. */
  until: number | null;
}

export const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
export const iso = (ms: number): string => new Date(ms).toISOString();
export const dayStart = (ms: number): number => ms - (ms % DAY_MS);

/** |gap| beyond `tolerance` percent of the provider's figure, exactly (any gap at all when the provider's figure is 0). */
export function beyondTolerance(gapNano: bigint, providerNano: bigint, tolerance: Decimal): boolean {
  const gap = gapNano < 0n ? -gapNano : gapNano;
  return gap * 100n * 10n ** BigInt(tolerance.scale) > tolerance.units * providerNano;
}

const pct = (gap: bigint, base: bigint): number | null => (base > 0n ? Number((gap * 1_000_000n) / base) / 10_000 : gap === 0n ? 0 : null);

/** The money columns of a comparison: ledger, provider, gap, gap %, and whether it is within the tolerance. */
export function comparison(ledgerNano: bigint, providerNano: bigint, tolerance: Decimal) {
  const gap = providerNano - ledgerNano;
  return {
    ledger_usd: nanoToUsd(ledgerNano),
    provider_usd: nanoToUsd(providerNano),
    gap_usd: nanoToUsd(gap),
    gap_pct: pct(gap, providerNano),
    within_tolerance: !beyondTolerance(gap, providerNano, tolerance),
  };
}

/** A provider's audit before anything was compared. */
export function blankAudit(provider: PaidProvider, status: AuditStatus, reason: string | null = null): ProviderAudit {
  return {
    provider,
    status,
    reason,
    compared: null,
    ledger_usd: null,
    provider_usd: null,
    gap_usd: null,
    gap_pct: null,
    within_tolerance: null,
    days: [],
    unmetered: { usd: 0, requests: [] },
    unknown_to_provider: [],
    cost_mismatches: [],
    estimated: { events: 0, usd: 0 },
    open_calls: 0,
    notes: [],
  };
}

/** The verdict once the comparisons are in: a gap when anything is off, unverified when nothing could be compared. */
export function verdict(audit: ProviderAudit): ProviderAudit {
  const off =
    audit.within_tolerance === false ||
    audit.days.some((d) => d.within_tolerance === false) ||
    audit.unmetered.requests.length > 0 ||
    audit.unknown_to_provider.length > 0;
  const compared = audit.within_tolerance !== null || audit.days.some((d) => d.within_tolerance !== null);
  return { ...audit, status: off ? "gap" : compared ? "ok" : "unverified" };
}
