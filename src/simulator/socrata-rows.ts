/**
 * Deterministic row generation for the Socrata simulator's fixture datasets:
 * a seeded generator (so every run serves identical rows) and the small
 * helpers the per-city row builders share.
 */

export const ROWS_PER_CITY = 40;

/** mulberry32: a tiny seeded generator, so every run serves identical rows. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Draw {
  pick<T>(items: readonly T[]): T;
  int(min: number, max: number): number;
  chance(p: number): boolean;
  /** A day between 2023-01-01 and 2026-06-30 as a floating timestamp. */
  timestamp(): string;
}

export function draw(seed: number): Draw {
  const next = rng(seed);
  const start = Date.UTC(2023, 0, 1);
  const days = Math.round((Date.UTC(2026, 5, 30) - start) / 86_400_000);
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    pick: (items) => items[Math.floor(next() * items.length)]!,
    int,
    chance: (p) => next() < p,
    timestamp: () => `${new Date(start + int(0, days) * 86_400_000).toISOString().slice(0, 10)}T00:00:00.000`,
  };
}

/** Copies `row` without its undefined fields (Socrata omits nulls). */
export function compact(row: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(row)) if (value !== undefined) out[key] = value;
  return out;
}

/** The floating timestamp `days` before `timestamp` (after it when negative). */
export const daysBefore = (timestamp: string, days: number) =>
  new Date(Date.parse(`${timestamp.slice(0, 10)}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10) + "T00:00:00.000";

/** A floating timestamp's day written as US text, `MM/DD/YYYY`, the way some legacy feeds store dates. */
export const usDate = (timestamp: string) => `${timestamp.slice(5, 7)}/${timestamp.slice(8, 10)}/${timestamp.slice(0, 4)}`;

export const text = (...names: string[]) => Object.fromEntries(names.map((n) => [n, "text" as const]));
