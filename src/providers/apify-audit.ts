/**
 * What Apify itself says the account spent, for `ecn-mcp audit-costs`.
 *
 * - The account's monthly usage, `GET /v2/users/me/usage/monthly?date=`:
 *   the usage cycle holding the date (cycles start on the account's own day
 *   of the month), with a daily breakdown in USD. apify-client's
 *   `user().monthlyUsage()` takes no date, so this one read goes through
 *   `fetch` with the same token; it covers everything the account did, not
 *   only this server's runs.
 * - The lead-signal actor's runs, through apify-client's runs list
 *   (`GET /v2/acts/{actor}/runs`, paged, filtered by start time): each run's
 *   id, status, start and `usageTotalUsd`. A list item without
 *   `usageTotalUsd` is read again on its own (`GET /v2/actor-runs/{id}`);
 *   still without it, its cost is unknown, never $0.
 */
import { ApifyApiError, ApifyClient } from "apify-client";
import { readUsdTotal } from "./cost.js";

export interface UsageCycle {
  startAt: number;
  /** The cycle's last instant (inclusive, as Apify gives it). */
  endAt: number;
  /** USD per UTC day (epoch ms of its midnight), as the daily breakdown gives it. */
  days: { day: number; nanoUsd: bigint }[];
  totalNanoUsd: bigint;
}

export interface RunCost {
  id: string;
  status: string;
  startedAt: number;
  /** The run's usageTotalUsd; null when Apify did not say. */
  nanoUsd: bigint | null;
}

export interface ApifyAudit {
  /** The usage cycle holding `date` (YYYY-MM-DD). Throws when Apify cannot be asked or answers nonsense. */
  monthlyUsage(date: string): Promise<UsageCycle>;
  /** Every run of the actor started in [from, to). Throws when Apify cannot be asked. */
  actorRuns(actorId: string, from: number, to: number): Promise<RunCost[]>;
  /** One run (a run the list did not show), or null when Apify does not know it. */
  run(runId: string): Promise<RunCost | null>;
}

function why(error: unknown): string {
  if (error instanceof ApifyApiError) return `${error.statusCode} ${error.type ?? "error"}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

const runCost = (run: { id: string; status: string; startedAt: Date | string; usageTotalUsd?: unknown }): RunCost => ({
  id: run.id,
  status: run.status,
  startedAt: new Date(run.startedAt).getTime(),
  nanoUsd: readUsdTotal(run.usageTotalUsd),
});

export function createApifyAudit(options: { token: string; baseUrl: string; timeoutSecs?: number }): ApifyAudit {
  const client = new ApifyClient({ token: options.token, baseUrl: options.baseUrl, maxRetries: 2, timeoutSecs: options.timeoutSecs ?? 30 });
  client.logger.setLevel(1 /* LogLevel.ERROR: nothing on stdout */);

  async function monthlyUsage(date: string): Promise<UsageCycle> {
    const url = `${options.baseUrl}/v2/users/me/usage/monthly?date=${encodeURIComponent(date)}`;
    let response: Response;
    try {
      response = await fetch(url, { headers: { Authorization: `Bearer ${options.token}` }, signal: AbortSignal.timeout((options.timeoutSecs ?? 30) * 1000) });
    } catch (error) {
      throw new Error(`Apify's monthly usage could not be read (${why(error)})`, { cause: error });
    }
    const body = (await response.json().catch(() => null)) as { data?: Record<string, unknown>; error?: { type?: string; message?: string } } | null;
    if (!response.ok)
      throw new Error(`Apify refused the monthly usage (${response.status} ${body?.error?.type ?? "error"}: ${body?.error?.message ?? "no message"})`);
    const data = body?.data ?? {};
    const cycle = (data.usageCycle ?? {}) as { startAt?: unknown; endAt?: unknown };
    const [startAt, endAt] = [Date.parse(String(cycle.startAt)), Date.parse(String(cycle.endAt))];
    const total = readUsdTotal(data.totalUsageCreditsUsdAfterVolumeDiscount);
    if (Number.isNaN(startAt) || Number.isNaN(endAt) || total === null) throw new Error("Apify's monthly usage has no usable usageCycle or total");
    const days = ((data.dailyServiceUsages ?? []) as { date?: unknown; totalUsageCreditsUsd?: unknown }[]).map((d) => {
      const day = Date.parse(String(d.date));
      const nanoUsd = readUsdTotal(d.totalUsageCreditsUsd);
      if (Number.isNaN(day) || nanoUsd === null) throw new Error("Apify's monthly usage has a day without a usable date or total");
      return { day, nanoUsd };
    });
    return { startAt, endAt, days, totalNanoUsd: total };
  }

  async function run(runId: string): Promise<RunCost | null> {
    try {
      const found = await client.run(runId).get();
      return found ? runCost(found) : null;
    } catch (error) {
      throw new Error(`Apify run ${runId} could not be read (${why(error)})`, { cause: error });
    }
  }

  async function actorRuns(actorId: string, from: number, to: number): Promise<RunCost[]> {
    const runs: RunCost[] = [];
    try {
      // No limit: the client then reads page after page (the API gives at most 1000 a page) until every run is read.
      const list = client
        .actor(actorId)
        .runs()
        .list({ startedAfter: new Date(from).toISOString(), startedBefore: new Date(to).toISOString() });
      for await (const item of list) {
        if (item.startedAt && new Date(item.startedAt).getTime() >= to) continue; // startedBefore is inclusive; the window is not
        runs.push(runCost(item));
      }
    } catch (error) {
      throw new Error(`the runs of Apify actor ${actorId} could not be listed (${why(error)})`, { cause: error });
    }
    for (const [i, listed] of runs.entries()) {
      if (listed.nanoUsd === null) runs[i] = (await run(listed.id)) ?? listed;
    }
    return runs;
  }

  return { monthlyUsage, actorRuns, run };
}
