/**
 * What the simulated OpenRouter says about its key, computed from its own
 * request log, as the real API shapes it: `GET /key` gives the key's spend in
 * USD (all time, current UTC day, week from Monday, month), OpenRouter's own
 * charges in `usage` and bring-your-own-key upstream spend in `byok_usage`.
 * `GET /activity` (per day and model) needs a management key, which the
 * simulator's key is not: it is refused with 403, as OpenRouter refuses it.
 */
import { decimalFromNumber, nanoToUsd, usdToNano } from "../money.js";
import type { Generation, SimulatedRequest } from "./openrouter-types.js";

const DAY_MS = 86_400_000;
const toNano = (usd: number): bigint => usdToNano(decimalFromNumber(usd));

/** OpenRouter's BYOK fee on an upstream spend: 5% of the request's whole cost, the rest billed upstream. */
export function byokSplit(byok: boolean, cost: unknown): { fee: unknown; upstream: number | null } {
  if (!byok || typeof cost !== "number") return { fee: cost, upstream: null };
  const fee = Number((cost * 0.05).toFixed(12));
  return { fee, upstream: Number((cost - fee).toFixed(12)) };
}

interface Spend {
  usage: bigint;
  byok: bigint;
}

/** Starts of the current UTC day, week (Monday) and month. */
function periods(now: number): { day: number; week: number; month: number } {
  const day = now - (now % DAY_MS);
  const weekday = (new Date(day).getUTCDay() + 6) % 7;
  const date = new Date(now);
  return { day, week: day - weekday * DAY_MS, month: Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) };
}

/** The key's status, from every request it was billed for. */
export function keyStatus(apiKey: string, requests: SimulatedRequest[], generations: Map<string, Generation>, now = Date.now()): Record<string, unknown> {
  const since = periods(now);
  const spend = { all: { usage: 0n, byok: 0n }, day: { usage: 0n, byok: 0n }, week: { usage: 0n, byok: 0n }, month: { usage: 0n, byok: 0n } };
  for (const request of requests) {
    if (!request.paid || request.billedUsd <= 0) continue;
    const byok = request.generationId ? (generations.get(request.generationId)?.byok ?? false) : false;
    const split = byokSplit(byok, request.billedUsd);
    const add = (into: Spend) => {
      into.usage += toNano(split.fee as number);
      into.byok += split.upstream === null ? 0n : toNano(split.upstream);
    };
    add(spend.all);
    if (request.at >= since.day) add(spend.day);
    if (request.at >= since.week) add(spend.week);
    if (request.at >= since.month) add(spend.month);
  }
  return {
    label: `${apiKey.slice(0, 10)}...${apiKey.slice(-3)}`,
    limit: null,
    limit_reset: null,
    limit_remaining: null,
    include_byok_in_limit: false,
    usage: nanoToUsd(spend.all.usage),
    usage_daily: nanoToUsd(spend.day.usage),
    usage_weekly: nanoToUsd(spend.week.usage),
    usage_monthly: nanoToUsd(spend.month.usage),
    byok_usage: nanoToUsd(spend.all.byok),
    byok_usage_daily: nanoToUsd(spend.day.byok),
    byok_usage_weekly: nanoToUsd(spend.week.byok),
    byok_usage_monthly: nanoToUsd(spend.month.byok),
    is_free_tier: false,
    is_management_key: false,
    is_provisioning_key: false,
    expires_at: null,
  };
}

/** The refusal `GET /activity` gets from a key that is not a management key. */
export const ACTIVITY_REFUSAL = { status: 403, message: "Only management keys can perform this operation" } as const;
