import type { ProviderReport } from "../errors.js";

/**
 * A provider request that did not produce a usable result, classified by
 * what it may have cost: `none` when the provider certainly did no billable
 * work (it answered with an error, or the connection was refused), `unknown`
 * when it may have (timeout, cancellation, a failure after work began).
 */
export type Billing = "none" | "unknown";

export class ProviderFailure extends Error {
  override readonly name = "ProviderFailure";
  constructor(
    readonly provider: "openrouter" | "apify",
    readonly billing: Billing,
    message: string,
    readonly details: { status?: number; providerRef?: string; retryAfterSeconds?: number; report?: ProviderReport } = {},
  ) {
    super(message);
  }
}

/** The first `code` (ECONNREFUSED, ...) along an error's cause chain. */
export function causeCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

/** Connection errors that prove the request never reached the provider (so it cost nothing). */
export const NEVER_CONNECTED: ReadonlySet<string> = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);
