/**
 * The end of a paid call: settle at the real cost, void when nothing was
 * billed, or leave it `unknown` when the provider may have billed work whose
 * cost nobody can confirm yet. Returns the result or throws what the user
 * sees. What the answer says was charged is always what the ledger holds:
 * if another process resolved the call first, its record is reported. When
 * the ledger cannot be written, a server keeps the resolution in its outcome
 * spool: the answer then says the charge is pending, and the charge follows
 * once the ledger is back.
 */
import { EcnError } from "../errors.js";
import { failpoint } from "../failpoints.js";
import { storageFailure } from "../ledger/errors.js";
import type { CallResult, Ledger, ResolveOutcome, UsageEventInput, WalletRecord } from "../ledger/index.js";
import { NO_TOKENS } from "../providers/cost.js";
import { classifyFailure, ledgerUnavailable, PaidWorkDefect } from "../failures.js";
import { lookUpCost, type ProviderAccess } from "./provider-costs.js";
import { unresolvedError, withChargeNote, withPendingChargeNote, withSpoolNote } from "./refusals.js";
import { meteringBlock, pendingMeteringBlock } from "./replay.js";
import type { RequestCore, UnresolvedRequest } from "./request-core.js";
import type { MeteringObserver, OutcomeSpool, PaidCallResult, SpooledOutcome } from "./types.js";

export interface ConcludeDeps {
  ledger: Ledger;
  providers: ProviderAccess;
  now: () => number;
  observe: MeteringObserver;
  /** A server's outcome spool: where the resolution goes when the ledger cannot take it (none outside a server). */
  spool?: OutcomeSpool | undefined;
  /** The wallet as the hold left it: what a pending charge's balance is reckoned from. */
  walletAtHold: WalletRecord;
  /** Told when a settle took the organisation's balance under its watch level (billing acts on it). */
  signalled?: ((orgId: string) => void) | undefined;
}

export async function concludeCall<T>(deps: ConcludeDeps, session: RequestCore, value: T | undefined, failure: unknown): Promise<PaidCallResult<T>> {
  let outcome: "settled" | "voided" | "unknown" = "settled";
  let events: UsageEventInput[] = [];
  try {
    return await conclude(deps, session, value, failure, {
      resolvedAs: (o) => (outcome = o),
      recorded: (e) => (events = e),
    });
  } finally {
    deps.observe({
      kind: "resolved",
      call: session.call,
      feature: session.call.feature,
      provider: session.call.provider,
      outcome,
      costNanoUsd: events.reduce((sum, e) => sum + e.costNanoUsd, 0n),
      chargedMicroCredits: events.reduce((sum, e) => sum + e.chargedMicroCredits, 0n),
    });
  }
}

interface Report {
  resolvedAs: (outcome: "voided" | "unknown") => void;
  recorded: (events: UsageEventInput[]) => void;
}

/** A resolution written to the ledger, or (the ledger could not take it) kept in the server's outcome spool. */
type Written<R> = { kind: "written"; value: R } | { kind: "spooled" };

/**
 * A ledger write at the end of a call. If the ledger cannot take it, a
 * server keeps `spooled` in its outcome spool (replayed once the ledger is
 * back); otherwise (or if the spool cannot take it either) the call stays
 * open for the reconciler and the user is told.
 */
async function write<R>(deps: ConcludeDeps, session: RequestCore, action: () => Promise<R>, spooled: SpooledOutcome): Promise<Written<R>> {
  let value: R;
  try {
    value = await action();
  } catch (error) {
    const reason = storageFailure(error);
    if (!reason) throw error;
    if (deps.spool && spoolAll(deps.spool, session, spooled)) return { kind: "spooled" };
    throw ledgerUnavailable(
      reason,
      `The provider work may be done, but this call's charge could not be recorded: call ${session.call.id} stays open with its hold, ` +
        "and `ecn-mcp reconcile` settles it at the provider's cost once the ledger is writable.",
    );
  }
  deps.spool?.ledgerWrote();
  return { kind: "written", value };
}

/**
 * Keeps a resolution in the spool, after the references the call has not
 * stored yet (an answer that arrived whole leaves its reference to the
 * settle): each is a record of its own, synced before the next, so a crash
 * tearing the resolution's record still leaves the reference, and the call is
 * priced by the provider, not charged its hold.
 */
function spoolAll(spool: OutcomeSpool, session: RequestCore, spooled: SpooledOutcome): boolean {
  for (const ref of session.unstoredRefs()) if (!spool.keep({ kind: "ref", callId: session.call.id, ref })) return false;
  return spool.keep(spooled);
}

/** The events the ledger holds for the call: ours if our resolution applied, otherwise whoever resolved it first. */
async function recordedEvents(deps: ConcludeDeps, outcome: ResolveOutcome, ours: UsageEventInput[]): Promise<UsageEventInput[]> {
  if (outcome.signalled) deps.signalled?.(outcome.call.orgId);
  return outcome.applied ? ours : deps.ledger.usageEventsOfCall(outcome.call.id);
}

const chargeOf = (events: UsageEventInput[]) => events.reduce((sum, e) => sum + e.chargedMicroCredits, 0n);

/** Settles the call with its events, or spools the settle; the events as recorded, and whether they wait in the spool. */
async function settle(deps: ConcludeDeps, session: RequestCore, events: UsageEventInput[], result: CallResult, report: Report) {
  const callId = session.call.id;
  const now = deps.now();
  const done = await write(deps, session, () => deps.ledger.settleCall(callId, events, result, now), { kind: "settle", callId, events, result, now });
  const recorded = done.kind === "written" ? await recordedEvents(deps, done.value, events) : events;
  report.recorded(recorded);
  return { done, recorded };
}

async function conclude<T>(deps: ConcludeDeps, session: RequestCore, value: T | undefined, failure: unknown, report: Report): Promise<PaidCallResult<T>> {
  failpoint("after_provider_response");
  const { ledger } = deps;
  const call = session.call;
  if (session.unresolved.length > 0) {
    await refsFirst(session); // the provider lookups take a while, and the call may stay open for the reconciler
    const stillOpen = await resolveByLookup(deps, session, session.unresolved);
    const error = unresolvedError(session.unresolved[0]!.failure, stillOpen, call);
    if (stillOpen) {
      report.resolvedAs("unknown");
      const done = await write(deps, session, () => ledger.markUnknown(call.id, error.code, error.message), {
        kind: "unknown",
        callId: call.id,
        code: error.code,
        message: error.message,
      });
      if (done.kind === "spooled") throw withSpoolNote(error);
    } else {
      const { done, recorded } = await settle(deps, session, session.settlementEvents(), { error: { code: error.code, message: error.message } }, report);
      if (done.kind === "spooled") throw withPendingChargeNote(error, chargeOf(recorded), call);
    }
    throw error;
  }
  await session.refsBeforeConclusion(true); // the settle or void below writes every event's reference
  const events = session.settlementEvents();
  if (failure === undefined) {
    const { done, recorded } = await settle(deps, session, events, { resultJson: JSON.stringify(value) }, report);
    const metering =
      done.kind === "written" ? meteringBlock(done.value.call, recorded, done.value.wallet) : pendingMeteringBlock(call, recorded, deps.walletAtHold);
    return { value: value as T, metering, replayed: false };
  }
  const classified = classifyFailure(failure);
  // A bug is stored (and repeated to an idempotent retry) without its details, which only the log has.
  const shown =
    classified.kind === "programming"
      ? new EcnError("provider_error", `${call.feature} failed with an internal error (the server log has details).`)
      : classified.error;
  const stored = { code: shown.code, message: shown.message };
  let error: EcnError;
  if (session.didWork) {
    const { done, recorded } = await settle(deps, session, events, { error: stored }, report);
    error = done.kind === "written" ? withChargeNote(shown, chargeOf(recorded), call) : withPendingChargeNote(shown, chargeOf(recorded), call);
  } else {
    report.resolvedAs("voided");
    const now = deps.now();
    const done = await write(deps, session, () => ledger.voidCall(call.id, events, stored, now), { kind: "void", callId: call.id, events, error: stored, now });
    const recorded = done.kind === "written" ? await recordedEvents(deps, done.value, events) : events;
    report.recorded(recorded);
    error = withChargeNote(shown, chargeOf(recorded), call);
  }
  if (classified.kind === "programming") throw new PaidWorkDefect(error.message, classified.cause);
  throw error;
}

/** Stores the call's provider references before it may be left open; a ledger that cannot take them is reported as such. */
async function refsFirst(session: RequestCore): Promise<void> {
  try {
    await session.refsBeforeConclusion(false);
  } catch (error) {
    const reason = storageFailure(error);
    if (!reason) throw error;
    throw ledgerUnavailable(
      reason,
      `The provider work may be done, but its reference could not be recorded: call ${session.call.id} stays open with its hold, ` +
        "and `ecn-mcp reconcile` resolves it once the ledger is writable.",
    );
  }
}

/**
 * Asks the provider what each unresolved request cost (OpenRouter's
 * generation endpoint, Apify's run). Returns true when some request is still
 * unpriced: the call must stay `unknown` for the reconciler.
 */
export async function resolveByLookup(deps: ConcludeDeps, session: RequestCore, unresolved: UnresolvedRequest[]): Promise<boolean> {
  let stillOpen = false;
  for (const request of unresolved) {
    const looked = request.providerRef ? await lookUpCost(deps.providers, request.provider, request.providerRef) : null;
    if (looked?.kind === "impossible") {
      session.recordImpossibleCost({ ...request, usage: NO_TOKENS, reported: looked.reported });
    } else if (looked?.kind === "known") {
      session.recordEvent({
        provider: request.provider,
        model: looked.model ?? request.model,
        providerRequestId: request.providerRef,
        outcome: "failed",
        ...looked.usage,
        costNanoUsd: looked.nanoUsd,
        costSource: "lookup",
        estimated: false,
        createdAt: request.createdAt,
      });
    } else stillOpen = true;
  }
  return stillOpen;
}
