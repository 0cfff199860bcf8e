/**
 * Errors classified once, wherever they surface (a tool call, an HTTP
 * request, a CLI verb, a paid call's end):
 *
 *  - user: a refusal the caller can act on (an EcnError, or a ledger refusal
 *    such as an unknown organisation, shown as `invalid_input`);
 *  - provider: the provider refused or failed (`provider_error`);
 *  - ledger: the ledger cannot be read or written (`ledger_unavailable`);
 *    the operator has to act, so it is logged at error level;
 *  - programming: anything else is a bug. It is logged with its stack at
 *    error level and shown only as an internal error (no code of ours).
 *
 * Every message shown is redacted (EcnError does it when it is made), and so
 * is every log line (the logger does it), so credentials never travel on. A
 * provider's own error text is never shown: only the log has it, filed under
 * the reference the caller's message names.
 */
import { EcnError } from "./errors.js";
import { LedgerRefusal, storageFailure } from "./ledger/errors.js";
import type { Logger } from "./log.js";
import { ProviderFailure } from "./providers/failure.js";

export type Failure = { kind: "user" | "provider" | "ledger"; error: EcnError } | { kind: "programming"; cause: unknown; publicMessage: string };

/** A bug met inside paid work after the call was settled or voided: the message says what was charged. */
export class PaidWorkDefect extends Error {
  override readonly name = "PaidWorkDefect";
  constructor(
    readonly publicMessage: string,
    cause: unknown,
  ) {
    super(publicMessage, { cause });
  }
}

const INTERNAL = "an internal error occurred; the server log has details";

export function providerError(failure: ProviderFailure): EcnError {
  const retry = failure.details.retryAfterSeconds ? ` Retry after ${failure.details.retryAfterSeconds} s.` : "";
  return new EcnError(
    "provider_error",
    `${failure.message}.${retry}`,
    {
      ...(failure.details.status ? { status: failure.details.status } : {}),
    },
    failure.details.report,
  );
}

/** The ledger could not be used; `consequence` says what that meant for this request. */
export function ledgerUnavailable(reason: string, consequence = "Nothing was charged or sent to a provider; the operator must fix the ledger."): EcnError {
  return new EcnError("ledger_unavailable", `the ledger cannot be used: ${reason}. ${consequence}`);
}

/** A request its caller cancelled, or whose deadline passed, before the provider answered. */
export function cancellation(): EcnError {
  return new EcnError("provider_error", "the request was cancelled or timed out before the provider answered.");
}

/**
 * Why the server itself stopped paid work its caller left running (a task
 * cancelled from elsewhere, a shutdown): the reason its abort carries, so
 * the call's error can say so. Its message completes "the run ...".
 */
export class WorkStopped extends Error {
  override readonly name = "WorkStopped";
}

/** How an aborted run is described: why the server stopped it, or (its caller's doing) "was cancelled". */
export function stopWording(signal: AbortSignal): string {
  return signal.reason instanceof WorkStopped ? signal.reason.message : "was cancelled";
}

export function classifyFailure(error: unknown): Failure {
  if (error instanceof EcnError) {
    const kind = error.code === "provider_error" ? "provider" : error.code === "ledger_unavailable" ? "ledger" : "user";
    return { kind, error };
  }
  if (error instanceof ProviderFailure) return { kind: "provider", error: providerError(error) };
  if (error instanceof LedgerRefusal) return { kind: "user", error: new EcnError("invalid_input", error.message) };
  const storage = storageFailure(error);
  if (storage) return { kind: "ledger", error: ledgerUnavailable(storage) };
  if (error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError")) return { kind: "provider", error: cancellation() };
  if (error instanceof PaidWorkDefect) return { kind: "programming", cause: error.cause, publicMessage: error.publicMessage };
  return { kind: "programming", cause: error, publicMessage: INTERNAL };
}

/** Logs a failure at the level its kind deserves: bugs with their stack, ledger failures as errors, refusals quietly. */
export function logFailure(logger: Logger, failure: Failure, message: string, fields: Record<string, unknown> = {}): void {
  if (failure.kind === "programming") {
    const cause = failure.cause;
    logger.error(`${message}: internal error`, { ...fields, error: cause instanceof Error ? (cause.stack ?? cause.message) : String(cause) });
  } else if (failure.kind === "ledger") {
    logger.error(`${message}: ledger unavailable`, { ...fields, error: failure.error.message });
  } else if (failure.error.report) {
    // The provider's own words, for the operator only (the logger redacts them), under the reference the caller was shown.
    const { provider, reference, said } = failure.error.report;
    logger.warn(`${message}: provider error`, { ...fields, code: failure.error.code, provider, reference, provider_said: said });
  } else {
    logger.info(message, { ...fields, code: failure.error.code });
  }
}
