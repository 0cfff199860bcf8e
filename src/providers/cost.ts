/**
 * The one gate a provider-reported cost passes before it becomes money. A
 * cost must be a finite, non-negative JSON number no larger than any single
 * request could plausibly cost. Anything else (1e300, -0.5, "0.01", NaN) is
 * impossible: it is never converted, never charged, and the metering core
 * resolves the request as if its cost were unknown (charging its hold,
 * flagged `estimated`), with a warning for the operator.
 */
import { decimalFromNumber, usdToNano } from "../money.js";

/**
 * No single LLM request or actor run this server makes costs more than this
 * (the most expensive models cost well under $100 for a whole context window).
 * It also keeps every ledger sum far from 64-bit overflow.
 */
export const MAX_REQUEST_COST_USD = 10_000;

export interface TokenUsage {
  promptTokens: number | null;
  completionTokens: number | null;
  totalTokens: number | null;
}

export const NO_TOKENS: TokenUsage = { promptTokens: null, completionTokens: null, totalTokens: null };

/**
 * What a provider says, after the fact, one request (a generation, a run)
 * cost: the one answer every adapter's `costOf` gives, read the same way by
 * a live call that could not price a request itself and by the reconciler.
 */
export type RefCost =
  /** The provider's final word. */
  | { kind: "known"; nanoUsd: bigint; model: string | null; usage: TokenUsage }
  /** The provider answered with a cost no request can have: charge the hold instead. */
  | { kind: "impossible"; reported: string }
  /** An Apify run still going: its cost is not final yet. */
  | { kind: "running"; status: string }
  /** The provider knows the request but gave no cost, or could not be asked. */
  | { kind: "unknown"; why: string }
  /** The provider does not know the reference (or not yet: OpenRouter's generation endpoint lags a little). */
  | { kind: "not_found"; why: string };

/** A reported cost as a RefCost; a missing one is unknown, never $0. */
export function refCostOf(cost: ReportedCost, missing: string, model: string | null, usage: TokenUsage): RefCost {
  if (cost.kind === "known") return { kind: "known", nanoUsd: cost.nanoUsd, model, usage };
  if (cost.kind === "impossible") return { kind: "impossible", reported: cost.reported };
  return { kind: "unknown", why: missing };
}

export type ReportedCost = { kind: "known"; nanoUsd: bigint } | { kind: "missing" } | { kind: "impossible"; reported: string };

export const MISSING_COST: ReportedCost = { kind: "missing" };

/** Reads a provider's cost field: known (exact nano-USD, rounded up), missing (null/absent), or impossible. */
export function readProviderCost(value: unknown): ReportedCost {
  if (value === null || value === undefined) return MISSING_COST;
  if (typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= MAX_REQUEST_COST_USD) {
    return { kind: "known", nanoUsd: usdToNano(decimalFromNumber(value)) };
  }
  let reported: string;
  try {
    reported = typeof value === "number" ? String(value) : (JSON.stringify(value) ?? typeof value);
  } catch {
    reported = typeof value; // a value JSON cannot render (a BigInt, a cycle) is named by its type
  }
  return { kind: "impossible", reported: reported.slice(0, 80) };
}

/** The sum of two reported costs (BYOK: OpenRouter's fee plus the upstream spend); impossible wins, then missing. */
export function addCosts(a: ReportedCost, b: ReportedCost): ReportedCost {
  if (a.kind === "impossible") return a;
  if (b.kind === "impossible") return b;
  if (a.kind === "missing" || b.kind === "missing") return MISSING_COST;
  return { kind: "known", nanoUsd: a.nanoUsd + b.nanoUsd };
}

/**
 * An account-level USD figure a provider reports (a key's usage, a month's
 * total): a finite, non-negative JSON number, with no per-request cap. As
 * nano-USD, rounded up like every provider cost; null when it is not one.
 */
export function readUsdTotal(value: unknown): bigint | null {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? usdToNano(decimalFromNumber(value)) : null;
}
