/**
 * The OpenRouter side of the cost audit. OpenRouter bills a key and reports
 * the key's total spend (`GET /key`), not its requests, so:
 *
 * - the total is the key's usage between two snapshots (those nearest
 *   --since and --until, either side; this audit's own when the period runs
 *   to now), against the ledger's OpenRouter costs of requests sent in that
 *   same interval;
 * - today (UTC) is also compared on its own, from the key's `usage_daily`,
 *   when the window covers the whole day so far;
 * - past days come from the activity endpoint only where the key may read it
 *   (management keys), and then cover the whole account, so they inform but
 *   do not judge;
 * - each request the ledger recorded is looked up by its generation id, which
 *   finds requests OpenRouter does not know and costs that differ. Unmetered
 *   spend cannot be listed request by request: it shows as usage above the
 *   ledger's costs.
 */
import type { Decimal } from "../money.js";
import { nanoToUsd } from "../money.js";
import type { UsageSnapshot } from "../ledger/index.js";
import type { OpenRouterAudit } from "../providers/openrouter-audit.js";
import {
  blankAudit,
  comparison,
  DAY_MS,
  dayStart,
  iso,
  isoDay,
  verdict,
  type AuditDay,
  type AuditWindow,
  type CostAuditDeps,
  type ProviderAudit,
} from "./cost-audit-report.js";
import { snapshotKeyUsage } from "./key-usage.js";

/** Requests looked up one by one, at most (the most recent ones). */
const MAX_LOOKUPS = 500;
const LOOKUPS_AT_ONCE = 8;
/** The generation endpoint lags a completion by about a second: a younger request it does not know yet is not called unknown. */
const LOOKUP_MIN_AGE_MS = 60_000;
/** The activity endpoint covers the last 30 completed UTC days. */
const ACTIVITY_DAYS = 30;

export async function auditOpenRouter(deps: CostAuditDeps, openrouter: OpenRouterAudit, window: AuditWindow, tolerance: Decimal): Promise<ProviderAudit> {
  const { ledger } = deps;
  const audit = blankAudit("openrouter", "ok");
  const { snapshot: now, usage } = await snapshotKeyUsage(ledger, openrouter, "audit", deps.now);
  const until = window.until ?? now.takenAt;

  // The total: the key's usage between the snapshots nearest the window's ends, against the ledger's costs in between.
  // (The start is never this audit's own snapshot; the end may be, and is when the period runs to now.)
  const nearest = async (at: number, after: number, orNow: boolean): Promise<UsageSnapshot | null> => {
    const before = await ledger.snapshotAtOrBefore("openrouter", Math.min(at, now.takenAt - 1));
    const next = (await ledger.firstSnapshotIn("openrouter", at, now.takenAt)) ?? (orNow ? now : null);
    const candidates = [before, next].filter((c): c is UsageSnapshot => c !== null && c.takenAt > after);
    return candidates.sort((a, b) => Math.abs(a.takenAt - at) - Math.abs(b.takenAt - at))[0] ?? null;
  };
  const start = await nearest(window.since, -Infinity, false);
  const end = until >= now.takenAt ? now : start ? await nearest(until, start.takenAt, true) : null;
  if (!start || !end || start.id === end.id || start.takenAt >= end.takenAt) {
    audit.notes.push(
      "No earlier snapshot of the key's usage to compare from, so the total cannot be compared yet. One is recorded at every " +
        "server start and every audit (one was recorded now): run the audit again over a period that starts after it.",
    );
  } else if (end.usageNanoUsd < start.usageNanoUsd) {
    audit.notes.push(
      `The key's usage went down between the snapshots of ${iso(start.takenAt)} and ${iso(end.takenAt)}: they belong to different keys, so the total is not compared.`,
    );
  } else {
    const byDay = await ledger.providerCostByDay({ provider: "openrouter", from: start.takenAt, to: end.takenAt });
    const ledgerNano = byDay.reduce((sum, d) => sum + d.costNanoUsd, 0n);
    const billed = end.usageNanoUsd - start.usageNanoUsd;
    Object.assign(audit, comparison(ledgerNano, billed, tolerance));
    audit.compared = {
      from: iso(start.takenAt),
      to: iso(end.takenAt),
      basis: `this key's usage between the snapshots nearest the period's ends (${start.reason} -> ${end.reason})`,
    };
    audit.estimated = {
      events: byDay.reduce((sum, d) => sum + d.estimatedEvents, 0),
      usd: nanoToUsd(byDay.reduce((sum, d) => sum + d.estimatedNanoUsd, 0n)),
    };
    if (billed > ledgerNano) audit.unmetered.usd = nanoToUsd(billed - ledgerNano);
    if (start.takenAt !== window.since || end.takenAt !== until) {
      audit.notes.push(
        `The total covers ${iso(start.takenAt)} to ${iso(end.takenAt)}, the snapshots of the key's usage nearest the period's ends, on both sides.`,
      );
    }
  }
  audit.notes.push("OpenRouter does not list a key's requests: unmetered spend shows as the key's usage above the ledger's costs, not request by request.");

  const today = dayStart(now.takenAt);
  if (window.since <= today && until >= now.takenAt) audit.days.push(await todayLine(deps, today, now.takenAt, usage.todayNanoUsd, tolerance));
  audit.days.unshift(...(await pastDays(deps, openrouter, audit, window.since, Math.min(until, today), today)));
  await lookUpRequests(deps, openrouter, audit, window.since, until, now.takenAt);

  audit.open_calls = (await ledger.openCalls()).filter((c) => c.provider === "openrouter").length;
  if (audit.open_calls > 0)
    audit.notes.push(
      `${audit.open_calls} OpenRouter call(s) still open: what they cost may be billed but is not in the ledger yet (ecn-mcp reconcile settles them).`,
    );
  return verdict(audit);
}

async function todayLine(deps: CostAuditDeps, today: number, to: number, providerNano: bigint, tolerance: Decimal): Promise<AuditDay> {
  const byDay = await deps.ledger.providerCostByDay({ provider: "openrouter", from: today, to });
  const ledgerNano = byDay.reduce((sum, d) => sum + d.costNanoUsd, 0n);
  return { date: isoDay(today), ...comparison(ledgerNano, providerNano, tolerance), source: "this key's usage today (usage_daily, so far)" };
}

/** Whole UTC days of the window before today, from the activity endpoint where the key may read it. */
async function pastDays(
  deps: CostAuditDeps,
  openrouter: OpenRouterAudit,
  audit: ProviderAudit,
  since: number,
  until: number,
  today: number,
): Promise<AuditDay[]> {
  const days: number[] = [];
  for (let day = Math.ceil(since / DAY_MS) * DAY_MS; day + DAY_MS <= until; day += DAY_MS) if (day >= today - ACTIVITY_DAYS * DAY_MS) days.push(day);
  if (days.length === 0) return [];
  const lines: AuditDay[] = [];
  const recorded = await deps.ledger.providerCostByDay({ provider: "openrouter", from: days[0]!, to: days.at(-1)! + DAY_MS });
  for (const day of days) {
    const answer = await openrouter.activity(isoDay(day));
    if (answer.kind === "refused") {
      audit.notes.push(
        `Per-day figures for past days are not available: OpenRouter's activity endpoint refused this key (${answer.why}); it answers management keys only.`,
      );
      return [];
    }
    const providerNano = answer.rows.filter((r) => r.date === isoDay(day)).reduce((sum, r) => sum + r.usageNanoUsd, 0n);
    const ledgerNano = recorded.find((d) => d.day === day)?.costNanoUsd ?? 0n;
    lines.push({
      date: isoDay(day),
      ...comparison(ledgerNano, providerNano, { units: 0n, scale: 0 }),
      within_tolerance: null,
      source: "OpenRouter activity (the whole account, every key)",
    });
  }
  return lines;
}

/** Each recorded generation asked of OpenRouter: unknown ones and differing costs are listed. */
async function lookUpRequests(
  deps: CostAuditDeps,
  openrouter: OpenRouterAudit,
  audit: ProviderAudit,
  since: number,
  until: number,
  now: number,
): Promise<void> {
  const recorded = await deps.ledger.providerRequests({ provider: "openrouter", from: since, to: until });
  const checked = recorded.slice(-MAX_LOOKUPS);
  let [unknown, tooYoung] = [0, 0];
  for (let i = 0; i < checked.length; i += LOOKUPS_AT_ONCE) {
    const batch = checked.slice(i, i + LOOKUPS_AT_ONCE);
    const answers = await Promise.all(batch.map((r) => openrouter.generation(r.ref)));
    answers.forEach((answer, j) => {
      const request = batch[j]!;
      if (answer.kind === "not_found" && request.createdAt > now - LOOKUP_MIN_AGE_MS) tooYoung++;
      else if (answer.kind === "not_found") {
        audit.unknown_to_provider.push({ id: request.ref, usd: nanoToUsd(request.costNanoUsd), at: iso(request.createdAt), tool_call_id: request.toolCallId });
      } else if (answer.kind === "unknown") unknown++;
      else if (!request.estimated && answer.nanoUsd !== request.costNanoUsd) {
        audit.cost_mismatches.push({ id: request.ref, ledger_usd: nanoToUsd(request.costNanoUsd), provider_usd: nanoToUsd(answer.nanoUsd) });
      }
    });
  }
  if (tooYoung > 0)
    audit.notes.push(
      `${tooYoung} request(s) from the last minute are not known to OpenRouter yet (its generation endpoint lags): run the audit again to check them.`,
    );
  if (recorded.length > checked.length) audit.notes.push(`Only the latest ${checked.length} of ${recorded.length} requests were looked up one by one.`);
  if (unknown > 0) audit.notes.push(`${unknown} request(s) could not be looked up (OpenRouter gave no usable answer).`);
}
