/**
 * The end of a paid call: settle at the real cost, void when nothing was
 * billed, or leave it `unknown` when the provider may have billed work whose
 * cost nobody can confirm yet. Returns the result or throws what the user sees.
 */
import { EcnError } from "../errors.js";
import { failpoint } from "../failpoints.js";
import type { Ledger } from "../ledger/index.js";
import type { ApifyProvider } from "../providers/apify.js";
import { ProviderFailure } from "../providers/failure.js";
import type { OpenRouterProvider } from "../providers/openrouter.js";
import { providerError, unresolvedError, withChargeNote } from "./refusals.js";
import { meteringBlock } from "./replay.js";
import type { PaidSession, UnresolvedRequest } from "./session.js";
import type { MeteringObserver, PaidCallResult } from "./types.js";

export interface ConcludeDeps {
  ledger: Ledger;
  providers: { openrouter?: OpenRouterProvider | undefined; apify?: ApifyProvider | undefined };
  now: () => number;
  observe: MeteringObserver;
}

export async function concludeCall<T>(deps: ConcludeDeps, session: PaidSession, value: T | undefined, failure: unknown): Promise<PaidCallResult<T>> {
  let outcome: "settled" | "voided" | "unknown" = "settled";
  try {
    return await conclude(deps, session, value, failure, (o) => (outcome = o));
  } finally {
    deps.observe({
      kind: "resolved",
      feature: session.call.feature,
      provider: session.call.provider,
      outcome,
      costNanoUsd: session.events.reduce((sum, e) => sum + e.costNanoUsd, 0n),
      chargedMicroCredits: session.events.reduce((sum, e) => sum + e.chargedMicroCredits, 0n),
    });
  }
}

async function conclude<T>(
  deps: ConcludeDeps,
  session: PaidSession,
  value: T | undefined,
  failure: unknown,
  resolvedAs: (outcome: "voided" | "unknown") => void,
): Promise<PaidCallResult<T>> {
  failpoint("after_provider_response");
  const { ledger } = deps;
  const call = session.call;
  if (session.unresolved.length > 0) {
    const stillOpen = await resolveByLookup(deps, session, session.unresolved);
    const error = unresolvedError(session.unresolved[0]!.failure, stillOpen, call);
    if (stillOpen) {
      resolvedAs("unknown");
      await ledger.markUnknown(call.id, error.code, error.message);
    } else await ledger.settleCall(call.id, session.events, { error: { code: error.code, message: error.message } }, deps.now());
    throw error;
  }
  if (failure === undefined) {
    const settled = await ledger.settleCall(call.id, session.events, { resultJson: JSON.stringify(value) }, deps.now());
    return { value: value as T, metering: meteringBlock(settled.call, session.events, settled.wallet), replayed: false };
  }
  const base = failure instanceof ProviderFailure ? providerError(failure) : toEcnError(failure);
  const charged = session.events.reduce((sum, e) => sum + e.chargedMicroCredits, 0n);
  const error = withChargeNote(base, charged, call);
  const stored = { code: error.code, message: error.message };
  if (session.didWork) await ledger.settleCall(call.id, session.events, { error: stored }, deps.now());
  else {
    resolvedAs("voided");
    await ledger.voidCall(call.id, session.events, stored, deps.now());
  }
  throw error;
}

/**
 * Asks the provider what each unresolved request cost (OpenRouter's
 * generation endpoint, Apify's run). Returns true when some request is still
 * unpriced: the call must stay `unknown` for the reconciler.
 */
export async function resolveByLookup(deps: ConcludeDeps, session: PaidSession, unresolved: UnresolvedRequest[]): Promise<boolean> {
  let stillOpen = false;
  for (const request of unresolved) {
    const looked = request.providerRef ? await lookupCost(deps, request.provider, request.providerRef) : null;
    if (!looked) {
      stillOpen = true;
      continue;
    }
    session.recordEvent({
      provider: request.provider,
      model: looked.model ?? request.model,
      providerRequestId: request.providerRef,
      outcome: "failed",
      promptTokens: looked.promptTokens,
      completionTokens: looked.completionTokens,
      totalTokens: looked.totalTokens,
      costNanoUsd: looked.costNanoUsd,
      costSource: "lookup",
      estimated: false,
      createdAt: request.createdAt,
    });
  }
  return stillOpen;
}

interface LookedUpCost {
  costNanoUsd: bigint;
  model: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  totalTokens: number | null;
}

/** The provider's final word on what a request cost, or null when it has none (yet). */
export async function lookupCost(deps: ConcludeDeps, provider: UnresolvedRequest["provider"], ref: string): Promise<LookedUpCost | null> {
  try {
    if (provider === "openrouter") {
      const cost = await deps.providers.openrouter?.generationCost(ref);
      return cost ? { costNanoUsd: cost.costNanoUsd, model: cost.model, ...cost.usage } : null;
    }
    const run = await deps.providers.apify?.runCost(ref);
    if (!run || !run.finished || run.costNanoUsd === null) return null;
    return { costNanoUsd: run.costNanoUsd, model: null, promptTokens: null, completionTokens: null, totalTokens: null };
  } catch {
    return null;
  }
}

function toEcnError(error: unknown): EcnError {
  if (error instanceof EcnError) return error;
  if (error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError")) {
    return new EcnError("provider_error", "the request was cancelled or timed out before the provider answered.");
  }
  const message = error instanceof Error ? error.message : String(error);
  return new EcnError("provider_error", `the tool failed: ${message}`);
}
