/** Parsing and lookups shared by the CLI verbs; bad input becomes an `invalid_input` error. */
import { EcnError } from "../errors.js";
import { BUDGET_PERIODS, FEATURES, isFeature, MODEL_ID_PATTERN, type BudgetPeriod, type Feature } from "../features.js";
import type { Ledger, OrgRecord } from "../ledger/index.js";
import { compareDecimal, creditsToMicro, formatDecimal, MAX_AMOUNT_MICRO_CREDITS, microToCreditsText, parseDecimal } from "../money.js";

/** A credit amount given on the command line ("10", "0.5") as micro-credits, at most a billion credits. */
export function parseCredits(text: string, flag: string): bigint {
  let micro: bigint;
  try {
    micro = creditsToMicro(parseDecimal(text));
  } catch {
    throw new EcnError("invalid_input", `${flag} must be a plain decimal number of credits with at most 6 decimals (got "${text}")`);
  }
  if (micro > MAX_AMOUNT_MICRO_CREDITS) {
    throw new EcnError(
      "invalid_input",
      `${flag} may be at most ${microToCreditsText(MAX_AMOUNT_MICRO_CREDITS)} credits (got "${text.length > 40 ? `${text.slice(0, 40)}...` : text}")`,
    );
  }
  return micro;
}

/** A price in USD ("0.0000025" per token), a plain decimal from 0 to `max`. */
export function parseUsd(text: string, flag: string, max: string): string {
  try {
    const value = parseDecimal(text);
    if (compareDecimal(value, parseDecimal(max)) <= 0) return formatDecimal(value);
  } catch {
    // reported below
  }
  throw new EcnError("invalid_input", `${flag} must be a plain decimal number of US dollars from 0 to ${max} (got "${text}")`);
}

/** An OpenRouter model id such as openai/gpt-4o-mini. */
export function parseModel(text: string, flag: string): string {
  if (text.length > 200 || !MODEL_ID_PATTERN.test(text))
    throw new EcnError("invalid_input", `${flag} must be an OpenRouter model id such as openai/gpt-4o-mini`);
  return text;
}

export function parseFeature(text: string): Feature {
  if (!isFeature(text)) throw new EcnError("invalid_input", `unknown feature "${text}"; one of: ${FEATURES.join(", ")}`);
  return text;
}

export function parsePeriod(text: string): BudgetPeriod {
  if (!(BUDGET_PERIODS as readonly string[]).includes(text)) {
    throw new EcnError("invalid_input", `--period must be one of ${BUDGET_PERIODS.join(", ")} (got "${text}")`);
  }
  return text as BudgetPeriod;
}

export function parsePositiveInt(text: string, flag: string, max = 1_000_000): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new EcnError("invalid_input", `${flag} must be a whole number from 1 to ${max} (got "${text}")`);
  }
  return value;
}

/** The organisation named by id or name, or a clear error listing how to create it. */
export async function requireOrg(ledger: Ledger, idOrName: string): Promise<OrgRecord> {
  const org = await ledger.findOrg(idOrName);
  if (!org) throw new EcnError("invalid_input", `no organisation with id or name "${idOrName}". Create it with: ecn-mcp org create ${idOrName}`);
  return org;
}

/** An ISO 8601 date (UTC midnight) or date-time, as epoch milliseconds. */
export function parseInstant(text: string, flag: string): number {
  const ok = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text);
  const ms = ok ? Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text) : Number.NaN;
  if (Number.isNaN(ms))
    throw new EcnError("invalid_input", `${flag} must be an ISO date or date-time such as 2026-11-01 or 2026-11-01T12:00:00Z (got "${text}")`);
  return ms;
}

export const FORMATS = ["table", "csv", "json"] as const;
export type Format = (typeof FORMATS)[number];

export function parseFormat(text: string | undefined, json: boolean | undefined, allowed: readonly Format[]): Format {
  if (json) return "json";
  const format = (text ?? "table") as Format;
  if (!allowed.includes(format)) throw new EcnError("invalid_input", `--format must be one of ${allowed.join(", ")} (got "${text}")`);
  return format;
}

/** US dollars with at most cents ("9.99") as cents. */
export function parseCents(text: string, flag: string): number {
  if (!/^\d{1,7}(\.\d{1,2})?$/.test(text))
    throw new EcnError("invalid_input", `${flag} must be US dollars with at most two decimals, such as 9.99 (got "${text}")`);
  const [whole, fraction = ""] = text.split(".");
  return Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
}
