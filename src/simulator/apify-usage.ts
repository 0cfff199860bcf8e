/**
 * The fake Apify's account views, computed from the runs it started: the
 * monthly usage (`GET /v2/users/me/usage/monthly[?date=YYYY-MM-DD]`: the usage
 * cycle holding that date, per-service totals, a daily breakdown and the
 * cycle's total in USD) and an actor's runs (`GET /v2/acts/{actorId}/runs`:
 * a page of short run objects, oldest first unless `desc`, filtered by
 * `status`, `startedAfter`, `startedBefore`). A pay-per-event actor's charges
 * are the account's `PAID_ACTORS_PER_EVENT` usage; the simulator books a
 * run's charges on the UTC day it started. Its cycles are calendar months;
 * a real account's cycle starts on its own day of the month, which is why
 * clients must read `usageCycle` rather than assume.
 */
import { nanoToUsd } from "../money.js";
import type { SimulatedRun } from "./apify-runs.js";

const DAY_MS = 86_400_000;
/** The list endpoint never returns more than this many runs at once. */
const MAX_PAGE = 1000;
const SERVICE = "PAID_ACTORS_PER_EVENT";

/** A body to send as `{"data": body}`, or the error to answer with. */
export type Answer = { body: Record<string, unknown> } | { refusal: { status: number; type: string; message: string } };
const invalid = (message: string): Answer => ({ refusal: { status: 400, type: "invalid-input", message } });

/** Charged events of a run: the start event (if charged) and its charged pages. */
function chargedEvents(run: SimulatedRun): number {
  const counts = (run.toJson("").chargedEventCounts ?? {}) as Record<string, number>;
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

function usageItem(quantity: number, nano: bigint): Record<string, unknown> {
  return { quantity, baseAmountUsd: nanoToUsd(nano), amountAfterVolumeDiscountUsd: nanoToUsd(nano), priceTiers: [] };
}

/** The monthly usage of the cycle holding `date` (today when absent); a refusal for a malformed date. */
export function monthlyUsage(runs: Iterable<SimulatedRun>, date: string | null, now = Date.now()): Answer {
  if (date !== null && !/^\d{4}-\d{2}-\d{2}$/.test(date)) return invalid(`Parameter "date" must be a date in the YYYY-MM-DD format`);
  const at = date === null ? new Date(now) : new Date(`${date}T00:00:00.000Z`);
  if (Number.isNaN(at.getTime())) return invalid(`Parameter "date" must be a date in the YYYY-MM-DD format`);
  const start = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1);
  const end = Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1);
  const days = new Map<number, { nano: bigint; events: number }>();
  for (const run of runs) {
    const startedAt = run.startedAt.getTime();
    if (startedAt < start || startedAt >= end) continue;
    const day = startedAt - (startedAt % DAY_MS);
    const known = days.get(day) ?? { nano: 0n, events: 0 };
    days.set(day, { nano: known.nano + run.usageNano, events: known.events + chargedEvents(run) });
  }
  const total = [...days.values()].reduce((sum, d) => ({ nano: sum.nano + d.nano, events: sum.events + d.events }), { nano: 0n, events: 0 });
  const body = {
    usageCycle: { startAt: new Date(start).toISOString(), endAt: new Date(end - 1).toISOString() },
    monthlyServiceUsage: total.events > 0 ? { [SERVICE]: usageItem(total.events, total.nano) } : {},
    dailyServiceUsages: [...days.entries()]
      .sort(([a], [b]) => a - b)
      .map(([day, d]) => ({
        date: new Date(day).toISOString(),
        serviceUsage: { [SERVICE]: usageItem(d.events, d.nano) },
        totalUsageCreditsUsd: nanoToUsd(d.nano),
      })),
    totalUsageCreditsUsdBeforeVolumeDiscount: nanoToUsd(total.nano),
    totalUsageCreditsUsdAfterVolumeDiscount: nanoToUsd(total.nano),
  };
  return { body };
}

/** One page of an actor's runs as the list endpoint gives them; a refusal for malformed parameters. */
export function runList(runs: SimulatedRun[], actId: string, userId: string, query: URLSearchParams): Answer {
  const number = (name: string, fallback: number) => (query.get(name) === null ? fallback : Number(query.get(name)));
  const offset = number("offset", 0);
  const limit = Math.min(number("limit", MAX_PAGE), MAX_PAGE);
  if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 1)
    return invalid("Parameters offset and limit must be non-negative integers");
  const instant = (name: string): number | null | undefined => {
    const text = query.get(name);
    if (text === null) return undefined;
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? null : ms;
  };
  const [after, before] = [instant("startedAfter"), instant("startedBefore")];
  if (after === null || before === null) return invalid("Parameters startedAfter and startedBefore must be ISO 8601 date-times");
  const statuses = query.get("status")?.split(",").filter(Boolean) ?? [];
  const desc = query.get("desc") === "1" || query.get("desc") === "true";
  const matching = runs
    .filter((run) => run.actId === actId)
    .filter((run) => statuses.length === 0 || statuses.includes(run.status))
    .filter((run) => (after === undefined || run.startedAt.getTime() >= after) && (before === undefined || run.startedAt.getTime() <= before))
    .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  if (desc) matching.reverse();
  const items = matching.slice(offset, offset + limit).map((run) => shortRun(run, userId));
  return { body: { total: matching.length, offset, limit, desc, count: items.length, items } };
}

/** The short run object list items carry (the API's RunShort). */
function shortRun(run: SimulatedRun, userId: string): Record<string, unknown> {
  const full = run.toJson(userId);
  const fields = [
    "id",
    "actId",
    "userId",
    "actorTaskId",
    "status",
    "startedAt",
    "finishedAt",
    "buildId",
    "buildNumber",
    "meta",
    "usageTotalUsd",
    "defaultKeyValueStoreId",
    "defaultDatasetId",
    "defaultRequestQueueId",
  ];
  return Object.fromEntries(fields.filter((field) => field in full).map((field) => [field, full[field]]));
}
