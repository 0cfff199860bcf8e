/**
 * What a PostgreSQL failure means for the ledger: a write to try again (a
 * deadlock or serialization failure, which rolled the transaction back), a
 * lost or refused connection (retried where nothing can have been
 * committed), or a database that cannot serve (reported as the ledger being
 * unavailable). Anything else is a query's own error: a bug, passed on.
 */
import { LedgerUnavailable } from "../errors.js";

/** An error the driver raised (as opposed to one a script raised itself, such as a refusal). */
export class DriverFailure extends Error {
  override readonly name = "DriverFailure";
  constructor(readonly original: unknown) {
    super(original instanceof Error ? original.message : String(original), { cause: original });
  }
}

const sqlState = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
};

/** The transaction was rolled back by the server to resolve a conflict: run it again. */
export function isRetryableConflict(error: unknown): boolean {
  const state = sqlState(error);
  return state === "40001" || state === "40P01";
}

/** The connection is gone or could not be made (the server is down, restarting, or unreachable); a driver error only. */
export function isConnectionFailure(error: unknown): boolean {
  const state = sqlState(error);
  if (state) return state.startsWith("08") || state === "57P01" || state === "57P02" || state === "57P03" || state === "53300";
  // No SQLSTATE: the driver's own network errors ("Connection terminated", ECONNREFUSED, a timeout).
  return true;
}

const UNAVAILABLE_STATES: Record<string, string> = {
  "53100": "the database server's disk is full",
  "53200": "the database server is out of memory",
  "53300": "the database server has no connection slots left",
  "57P01": "the database server is shutting down",
  "57P02": "the database server is restarting after a crash",
  "57P03": "the database server is not accepting connections yet",
};

/** A driver error as the ledger reports it: LedgerUnavailable when the database cannot serve, the error itself otherwise. */
export function asLedgerFailure(error: unknown, location: string, committing = false): unknown {
  const state = sqlState(error);
  const detail = error instanceof Error ? error.message : String(error);
  if (committing && isConnectionFailure(error)) {
    return new LedgerUnavailable(
      `the connection to PostgreSQL (${location}) broke while a write was being committed; it may or may not have been recorded (${detail})`,
      { cause: error },
    );
  }
  if (state && UNAVAILABLE_STATES[state]) return new LedgerUnavailable(`${UNAVAILABLE_STATES[state]} (${location})`, { cause: error });
  if (state?.startsWith("58") || state === "XX001" || state === "XX002")
    return new LedgerUnavailable(`the database server reported an I/O or corruption error (${location}): ${detail}`, { cause: error });
  if (isConnectionFailure(error)) return new LedgerUnavailable(`PostgreSQL cannot be reached (${location}): ${detail}`, { cause: error });
  return error;
}
