/**
 * One error family for everything a user can be told. The tool layer renders
 * it as an `isError` result whose text starts with the code; the HTTP layer
 * as a JSON body; the CLI as a message on stderr. Every message is redacted
 * when it is made, so a credential a provider echoed can never travel on.
 */
import { redact } from "./redact.js";

export const ERROR_CODES = [
  "insufficient_credits",
  "budget_exceeded",
  "invalid_input",
  "provider_error",
  "provider_not_configured",
  "idempotency_conflict",
  "unauthorized",
  "ledger_unavailable",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(value: string): value is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(value);
}

export class EcnError extends Error {
  override readonly name = "EcnError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(redact(message));
  }

  /** The text a tool result or CLI shows: the code first, then what to do. */
  render(): string {
    return `${this.code}: ${this.message}`;
  }
}

/** A setting (an environment variable, a flag) that cannot be used: the command stops before doing anything. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}
