/**
 * One error family for everything a user can be told. The tool layer renders
 * it as an `isError` result whose text starts with the code; the HTTP layer
 * as a JSON body; the CLI as a message on stderr. Every message is redacted
 * when it is made, so a credential a provider echoed can never travel on.
 */
import { randomBytes } from "node:crypto";
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

/**
 * What a provider said when it refused or failed: untrusted text (it may echo
 * a credential in any encoding, or say anything at all), so it is never shown
 * to a tenant. The tenant's message names the reference; the operator's log
 * keeps the provider's words, redacted, under the same reference.
 */
export interface ProviderReport {
  provider: "openrouter" | "apify" | "socrata" | "stripe";
  reference: string;
  /** The provider's own words. */
  said: string;
}

/** A short reference for one provider failure, e.g. `perr_3f9a1c0b`. */
export function providerReference(): string {
  return `perr_${randomBytes(4).toString("hex")}`;
}

export class EcnError extends Error {
  override readonly name = "EcnError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    /** The provider's words behind this error, for the operator's log only. */
    readonly report?: ProviderReport,
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

const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** A provider's error code or type when it is a plain identifier (`invalid-input`, `429`); anything else is provider text and stays out of our message. */
export function errorKind(value: unknown): string | undefined {
  const text = typeof value === "string" ? value : typeof value === "number" && Number.isInteger(value) ? String(value) : undefined;
  return text !== undefined && IDENTIFIER.test(text) && redact(text) === text ? text : undefined;
}

/**
 * Our own words for a provider's refusal or failure: what happened, the HTTP
 * status and the provider's error code or type, and a reference. The
 * provider's text goes only into the report, for the operator's log.
 */
export function providerFault(
  provider: ProviderReport["provider"],
  what: string,
  facts: { status?: number; kind?: unknown },
  said: string | undefined,
): { message: string; report: ProviderReport } {
  const reference = providerReference();
  const kind = errorKind(facts.kind);
  const shown = [facts.status !== undefined ? `HTTP ${facts.status}` : undefined, kind !== undefined && kind !== String(facts.status) ? kind : undefined]
    .filter(Boolean)
    .join(", ");
  return { message: `${what} (${shown ? `${shown}; ` : ""}reference ${reference})`, report: { provider, reference, said: said?.trim() || "(no message)" } };
}
