/**
 * What an OpenRouter request's failure means: whether it may have cost money
 * (`billing`), and what the caller is told. OpenRouter's own error text is
 * provider text: it is filed in the failure's report for the operator's log,
 * never put in the message.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { providerFault } from "../errors.js";
import { causeCode, NEVER_CONNECTED, ProviderFailure } from "./failure.js";

/** Maps whatever the client threw to a ProviderFailure that says whether the request may have cost money. */
export function classifyOpenRouterError(error: unknown, providerRef: string | undefined): ProviderFailure {
  const ref = providerRef ? { providerRef } : {};
  if (error instanceof ProviderFailure) return error;
  const aborted = error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
  if (aborted || error instanceof APIUserAbortError || error instanceof APIConnectionTimeoutError) {
    return new ProviderFailure("openrouter", "unknown", "the OpenRouter request was cancelled or timed out", ref);
  }
  if (error instanceof APIConnectionError) {
    const code = causeCode(error);
    if (code && NEVER_CONNECTED.has(code)) {
      return new ProviderFailure("openrouter", "none", `cannot reach OpenRouter (${code})`, ref);
    }
    return new ProviderFailure("openrouter", "unknown", `the connection to OpenRouter failed (${code ?? "no response"})`, ref);
  }
  if (error instanceof APIError) {
    // The body's message is the provider's text: it goes to the operator's log, never into our message.
    const body = error.error as { message?: unknown; type?: unknown; code?: unknown } | undefined;
    const said = typeof body?.message === "string" ? body.message : error.message;
    const kind = body?.type ?? body?.code;
    if (error.status === undefined) {
      // An error in-band after the stream began: work may have been done.
      const fault = providerFault("openrouter", "OpenRouter failed mid-response", { kind }, said);
      return new ProviderFailure("openrouter", "unknown", fault.message, { ...ref, report: fault.report });
    }
    const status = error.status as number;
    const retryAfter = Number((error.headers as Headers | undefined)?.get("retry-after"));
    const fault = providerFault("openrouter", "OpenRouter refused the request", { status, kind }, said);
    return new ProviderFailure("openrouter", "none", fault.message, {
      ...ref,
      status,
      report: fault.report,
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
    });
  }
  // Whatever else the client threw may quote the response: logged, not shown.
  const fault = providerFault("openrouter", "OpenRouter request failed", {}, error instanceof Error ? error.message : String(error));
  return new ProviderFailure("openrouter", "unknown", fault.message, { ...ref, report: fault.report });
}
