/**
 * One error family for everything a user can be told (SPEC section 7). The
 * tool layer renders it as an `isError` result whose text starts with the
 * code; the HTTP layer as a JSON body; the CLI as a message on stderr.
 */
export const ERROR_CODES = [
  "insufficient_credits",
  "budget_exceeded",
  "invalid_input",
  "provider_error",
  "provider_not_configured",
  "idempotency_conflict",
  "unauthorized",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class EcnError extends Error {
  override readonly name = "EcnError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** The text a tool result or CLI shows: the code first, then what to do. */
  render(): string {
    return `${this.code}: ${this.message}`;
  }
}

export function isEcnError(error: unknown): error is EcnError {
  return error instanceof EcnError;
}
