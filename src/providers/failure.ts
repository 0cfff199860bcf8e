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
    readonly details: { status?: number; providerRef?: string; retryAfterSeconds?: number } = {},
  ) {
    super(message);
  }
}
