/**
 * The end of a paid call: settle at the real cost, void when nothing was
 * billed, or leave it `unknown` when the provider may have billed work whose
 * cost nobody can confirm yet. Returns the result or throws what the user
 * sees. What the answer says was charged is always what the ledger holds:
 * if another process resolved the call first, its record is reported.
 */
import { EcnError } from "../errors.js";
import { failpoint } from "../failpoints.js";
import { storageFailure, type Ledger, type ResolveOutcome, type UsageEventInput } from "../ledger/index.js";
import { NO_TOKENS } from "../providers/cost.js";
import { classifyFailure, ledgerUnavailable, PaidWorkDefect } from "../failures.js";
import { lookUpCost, type ProviderAccess } from "./provider-costs.js";
import { unresolvedError, withChargeNote } from "./refusals.js";
import { meteringBlock } from "./replay.js";
import type { RequestCore, UnresolvedRequest } from "./request-core.js";
import type { MeteringObserver, PaidCallResult } from "./types.js";

export interface ConcludeDeps {
  ledger: Ledger;
  providers: ProviderAccess;
  now: () => number;
  observe: MeteringObserver;
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

/** A ledger write at the end of a call; if the ledger cannot take it, the call stays open for the reconciler and the user is told. */
async function write<R>(session: RequestCore, action: () => Promise<R>): Promise<R> {
  try {
    return await action();
  } catch (error) {
    const reason = storageFailure(error);
    if (!reason) throw error;
    throw ledgerUnavailable(
      reason,
      `The provider work may be done, but this call's charge could not be recorded: call ${session.call.id} stays open with its hold, ` +
        "and `ecn-mcp reconcile` settles it at the provider's cost once the ledger is writable.",
    );
  }
}

/** The events the ledger holds for the call: ours if our resolution applied, otherwise whoever resolved it first. */
async function recordedEvents(deps: ConcludeDeps, outcome: ResolveOutcome, ours: UsageEventInput[]): Promise<UsageEventInput[]> {
  if (outcome.signalled) deps.signalled?.(outcome.call.orgId);
  return outcome.applied ? ours : deps.ledger.usageEventsOfCall(outcome.call.id);
}

async function conclude<T>(deps: ConcludeDeps, session: RequestCore, value: T | undefined, failure: unknown, report: Report): Promise<PaidCallResult<T>> {
  failpoint("after_provider_response");
  const { ledger } = deps;
  const call = session.call;
  if (session.unresolved.length > 0) {
    const stillOpen = await resolveByLookup(deps, session, session.unresolved);
    const error = unresolvedError(session.unresolved[0]!.failure, stillOpen, call);
    if (stillOpen) {
      report.resolvedAs("unknown");
      await write(session, () => ledger.markUnknown(call.id, error.code, error.message));
    } else {
      const events = session.settlementEvents();
      const done = await write(session, () => ledger.settleCall(call.id, events, { error: { code: error.code, message: error.message } }, deps.now()));
      report.recorded(await recordedEvents(deps, done, events));
    }
    throw error;
  }
  const events = session.settlementEvents();
  if (failure === undefined) {
    const done = await write(session, () => ledger.settleCall(call.id, events, { resultJson: JSON.stringify(value) }, deps.now()));
    const recorded = await recordedEvents(deps, done, events);
    report.recorded(recorded);
    return { value: value as T, metering: meteringBlock(done.call, recorded, done.wallet), replayed: false };
  }
  const classified = classifyFailure(failure);
  // A bug is stored (and repeated to an idempotent retry) without its details, which only the log has.
  const shown =
    classified.kind === "programming"
      ? new EcnError("provider_error", `${call.feature} failed with an internal error (the server log has details).`)
      : classified.error;
  const stored = { code: shown.code, message: shown.message };
  let done: ResolveOutcome;
  if (session.didWork) done = await write(session, () => ledger.settleCall(call.id, events, { error: stored }, deps.now()));
  else {
    report.resolvedAs("voided");
    done = await write(session, () => ledger.voidCall(call.id, events, stored, deps.now()));
  }
  const recorded = await recordedEvents(deps, done, events);
  report.recorded(recorded);
  const charged = recorded.reduce((sum, e) => sum + e.chargedMicroCredits, 0n);
  const error = withChargeNote(shown, charged, call);
  if (classified.kind === "programming") throw new PaidWorkDefect(error.message, classified.cause);
  throw error;
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
