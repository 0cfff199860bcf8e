/**
 * The dashboard's period picker, as whole UTC days: today, the last 7 or 30
 * days (today included), or custom dates. Days are the unit the rollups
 * keep, so every figure of a period comes from them.
 */
import { EcnError } from "../errors.js";

export const DAY_MS = 86_400_000;
export const PERIODS = ["today", "7d", "30d", "custom"] as const;
export type PeriodName = (typeof PERIODS)[number];
/** The longest custom period: a year of days is still a readable chart. */
const MAX_DAYS = 366;

export interface Period {
  name: PeriodName;
  /** Epoch ms of the first day's UTC midnight. */
  fromDay: number;
  /** Epoch ms of the UTC midnight after the last day. */
  toDay: number;
  days: number;
}

export const dayOf = (ms: number) => ms - (ms % DAY_MS);
export const dayText = (day: number) => new Date(day).toISOString().slice(0, 10);

function parseDay(text: string, name: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : NaN;
  if (Number.isNaN(ms)) throw new EcnError("invalid_input", `${name} must be a date as YYYY-MM-DD, got ${JSON.stringify(text)}`);
  return ms;
}

/** The days a period covers; custom takes `from` and `to` (both included). */
export function resolvePeriod(name: PeriodName, now: number, from?: string, to?: string): Period {
  const today = dayOf(now);
  if (name !== "custom") {
    const days = name === "today" ? 1 : name === "7d" ? 7 : 30;
    return { name, fromDay: today - (days - 1) * DAY_MS, toDay: today + DAY_MS, days };
  }
  if (!from || !to) throw new EcnError("invalid_input", "a custom period needs both from and to (YYYY-MM-DD)");
  const fromDay = parseDay(from, "from");
  const toDay = parseDay(to, "to") + DAY_MS;
  const days = (toDay - fromDay) / DAY_MS;
  if (days < 1) throw new EcnError("invalid_input", "to must not be before from");
  if (days > MAX_DAYS) throw new EcnError("invalid_input", `a custom period covers at most ${MAX_DAYS} days`);
  return { name, fromDay, toDay, days };
}

/** Every day of the period, for series with a value on each day (zero where nothing happened). */
export function daysOf(period: Period): number[] {
  return Array.from({ length: period.days }, (_, i) => period.fromDay + i * DAY_MS);
}
