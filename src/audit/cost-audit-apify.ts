/**
 * The Apify side of the cost audit. Apify lists the lead-signal actor's runs
 * with what each cost (`usageTotalUsd`), so the audit compares run by run:
 * the runs started in the window and the ledger's Apify events of requests
 * sent in it, paired by run id. A run the ledger does not know is unmetered
 * spend; an event whose run Apify does not know is the reverse; both fail
 * the audit. The days are those the ledger's requests were sent on (a run
 * the ledger does not know: the day it started). The account's own monthly
 * usage (every actor, storage, anything else the account did) is shown per
 * day beside them, for information: it is not this server's alone.
 */
import type { Decimal } from "../money.js";
import { nanoToUsd } from "../money.js";
import type { ApifyAudit } from "../providers/apify-audit.js";
import { blankAudit, comparison, dayStart, iso, isoDay, verdict, type AuditWindow, type CostAuditDeps, type ProviderAudit } from "./cost-audit-report.js";

/** A run and its event may sit on either side of the window's edge (the event is written just before the run starts). */
const EDGE_MS = 3_600_000;
/** Usage cycles read at most (a window of two years). */
const MAX_CYCLES = 25;

interface Day {
  ledger: bigint;
  provider: bigint;
}

export async function auditApify(deps: CostAuditDeps, apify: ApifyAudit, window: AuditWindow, tolerance: Decimal): Promise<ProviderAudit> {
  const { ledger } = deps;
  const audit = blankAudit("apify", "ok");
  const since = window.since;
  const until = window.until ?? deps.now();
  const actor = deps.leadSignalActor;
  const days = new Map<number, Day>();
  const add = (day: number, ledgerNano: bigint, providerNano: bigint) => {
    const known = days.get(day) ?? { ledger: 0n, provider: 0n };
    days.set(day, { ledger: known.ledger + ledgerNano, provider: known.provider + providerNano });
  };

  const runs = await apify.actorRuns(actor, since, until);
  const recorded = await ledger.providerRequests({ provider: "apify", from: since - EDGE_MS, to: until + EDGE_MS });
  const events = new Map(recorded.map((r) => [r.ref, r]));
  const open = (await ledger.openCalls()).filter((c) => c.provider === "apify");
  const openRuns = new Set(open.flatMap((c) => c.providerRefs));
  audit.open_calls = open.length;
  const priced = (nano: bigint | null) => nano ?? 0n;
  let unpriced = 0;
  let unmeteredNano = 0n;
  const paired = new Set<string>();
  const mismatch = (ref: string, ledgerNano: bigint, providerNano: bigint | null, estimated: boolean) => {
    if (providerNano === null) unpriced++;
    else if (!estimated && providerNano !== ledgerNano)
      audit.cost_mismatches.push({ id: ref, ledger_usd: nanoToUsd(ledgerNano), provider_usd: nanoToUsd(providerNano) });
  };

  for (const run of runs) {
    const event = events.get(run.id);
    if (event) {
      paired.add(run.id);
      add(dayStart(event.createdAt), event.costNanoUsd, priced(run.nanoUsd));
      mismatch(run.id, event.costNanoUsd, run.nanoUsd, event.estimated);
    } else if (openRuns.has(run.id)) {
      audit.notes.push(`Run ${run.id} (${run.status}) belongs to a call still open: it is left out until the call is settled (ecn-mcp reconcile).`);
    } else {
      add(dayStart(run.startedAt), 0n, priced(run.nanoUsd));
      unmeteredNano += priced(run.nanoUsd);
      audit.unmetered.requests.push({ id: run.id, usd: run.nanoUsd === null ? null : nanoToUsd(run.nanoUsd), at: iso(run.startedAt), status: run.status });
    }
  }
  const inWindow = recorded.filter((r) => r.createdAt >= since && r.createdAt < until);
  for (const event of inWindow.filter((r) => !paired.has(r.ref))) {
    // The list did not show this run (it started outside the window, or Apify does not know it): ask for it alone.
    const run = await apify.run(event.ref);
    add(dayStart(event.createdAt), event.costNanoUsd, run ? priced(run.nanoUsd) : 0n);
    if (run) mismatch(event.ref, event.costNanoUsd, run.nanoUsd, event.estimated);
    else audit.unknown_to_provider.push({ id: event.ref, usd: nanoToUsd(event.costNanoUsd), at: iso(event.createdAt), tool_call_id: event.toolCallId });
  }
  // Events of the window without a run id: refused starts ($0) and runs charged their hold because their id was never known.
  const byDay = await ledger.providerCostByDay({ provider: "apify", from: since, to: until });
  for (const day of byDay) {
    const withRun = inWindow.filter((r) => dayStart(r.createdAt) === day.day).reduce((sum, r) => sum + r.costNanoUsd, 0n);
    if (day.costNanoUsd !== withRun) add(day.day, day.costNanoUsd - withRun, 0n);
  }
  audit.estimated = { events: byDay.reduce((sum, d) => sum + d.estimatedEvents, 0), usd: nanoToUsd(byDay.reduce((sum, d) => sum + d.estimatedNanoUsd, 0n)) };

  const sums = [...days.values()].reduce((sum, d) => ({ ledger: sum.ledger + d.ledger, provider: sum.provider + d.provider }), { ledger: 0n, provider: 0n });
  Object.assign(audit, comparison(sums.ledger, sums.provider, tolerance));
  audit.unmetered.usd = nanoToUsd(unmeteredNano);
  audit.compared = {
    from: iso(since),
    to: iso(until),
    basis: `the runs of ${actor} Apify lists, with their usageTotalUsd, paired with the ledger's by run id`,
  };
  audit.days = [...days.entries()]
    .sort(([a], [b]) => a - b)
    .map(([day, d]) => ({ date: isoDay(day), ...comparison(d.ledger, d.provider, tolerance), source: `the runs of ${actor} (usageTotalUsd)` }));
  if (unpriced > 0)
    audit.notes.push(`${unpriced} run(s) came without usageTotalUsd, even when read on their own: counted as $0 on Apify's side, which shows as a gap.`);
  if (open.length > 0) audit.notes.push(`${open.length} Apify call(s) still open: what they cost is not in the ledger yet (ecn-mcp reconcile settles them).`);
  await accountUsage(apify, audit, since, until, sums.ledger);
  return verdict(audit);
}

/** The account's own usage on the window's days, for information (it counts everything the account did). */
async function accountUsage(apify: ApifyAudit, audit: ProviderAudit, since: number, until: number, ledgerNano: bigint): Promise<void> {
  const account = new Map<number, bigint>();
  try {
    for (let date = since, cycles = 0; date < until && cycles < MAX_CYCLES; cycles++) {
      const cycle = await apify.monthlyUsage(isoDay(date));
      for (const day of cycle.days)
        if (day.day >= dayStart(since) && day.day < until) account.set(dayStart(day.day), (account.get(dayStart(day.day)) ?? 0n) + day.nanoUsd);
      if (cycle.endAt + 1 <= date) break;
      date = cycle.endAt + 1;
    }
  } catch (error) {
    audit.notes.push(
      `The account's monthly usage could not be read (${error instanceof Error ? error.message : String(error)}): the run-by-run comparison above does not need it.`,
    );
    return;
  }
  const total = [...account.values()].reduce((sum, n) => sum + n, 0n);
  for (const [day, nano] of [...account.entries()].sort(([a], [b]) => a - b)) {
    const line = audit.days.find((d) => d.date === isoDay(day));
    if (line) line.account_usd = nanoToUsd(nano);
    else
      audit.days.push({
        date: isoDay(day),
        ...comparison(0n, 0n, { units: 0n, scale: 0 }),
        within_tolerance: null,
        source: "no run of this actor",
        account_usd: nanoToUsd(nano),
      });
  }
  audit.days.sort((a, b) => a.date.localeCompare(b.date));
  audit.notes.push(
    `The Apify account's own usage on the window's days (monthly usage, every actor, storage and anything else the account did): $${nanoToUsd(total)}, ` +
      `against $${nanoToUsd(ledgerNano)} in this ledger; shown per day as account_usd, for information.`,
  );
}
