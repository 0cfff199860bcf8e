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
    reported = typeof value === "number" ? String(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    reported = String(value);
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
