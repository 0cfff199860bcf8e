/**
 * What the server asks of tracing, without OpenTelemetry: the MCP server,
 * the instrumented ledger and providers (instrument.ts) and the metering
 * observer speak only this. The OpenTelemetry implementation (otel.ts) loads
 * only when OTEL_EXPORTER_OTLP_ENDPOINT is set; without it there is no
 * Tracing at all, and nothing on the paid path is wrapped or timed for it.
 */
import type { MeteringObserver } from "../metering/types.js";
import { microToCredits, nanoToUsd } from "../money.js";

export type AttributeValue = string | number | boolean;
export type Attributes = Record<string, AttributeValue | undefined>;

/** One span in progress. */
export interface SpanHandle {
  set(attributes: Attributes): void;
  /** Marks the span failed: `error.type` and an error status with this description. */
  fail(errorType: string, message?: string): void;
}

export interface Tracing {
  /**
   * The server span of one MCP request around `run`, continuing the caller's
   * trace when `meta` (the request's `params._meta`) carries a W3C
   * `traceparent` (and `tracestate`).
   */
  request<T>(name: string, attributes: Attributes, meta: Record<string, unknown> | undefined, run: (span: SpanHandle) => Promise<T>): Promise<T>;
  /**
   * A child span of the active one around `run`. Work outside any request
   * (heartbeats, sweeps) has no active span: it runs untraced, so only what
   * a request caused is traced.
   */
  child<T>(name: string, kind: "client" | "internal", attributes: Attributes, run: (span: SpanHandle) => Promise<T>): Promise<T>;
  /** The MCP request span in progress, if any: where the charge goes. */
  current(): SpanHandle | undefined;
  /** The active trace and span ids, for log lines. */
  logContext(): Record<string, string> | undefined;
  /** Sends what is still buffered, then stops. */
  shutdown(): Promise<void>;
}

/**
 * The charge on the MCP request span: what the provider cost, what was
 * charged, at which markup, to which organisation, through which API key
 * or OAuth connection, for which call. Our own
 * attributes (`ecn.*`); the GenAI and MCP ones are set where they belong.
 */
export function chargeOnSpan(tracing: Tracing): MeteringObserver {
  return (event) => {
    const span = tracing.current();
    if (!span) return;
    if (event.kind === "hold_rejected") {
      span.set({ "ecn.feature": event.feature, "ecn.refusal": event.reason });
      return;
    }
    span.set({
      "ecn.tool_call_id": event.call.id,
      "ecn.org_id": event.call.orgId,
      // What the charge came through: an API key, or an OAuth connection.
      "ecn.api_key_id": event.call.apiKeyId ?? undefined,
      "ecn.connection_id": event.call.connectionId ?? undefined,
      "ecn.feature": event.feature,
      "ecn.provider": event.provider,
      "ecn.outcome": event.outcome,
      "ecn.cost_usd": nanoToUsd(event.costNanoUsd),
      "ecn.cost_nano_usd": Number(event.costNanoUsd),
      "ecn.credits_charged": microToCredits(event.chargedMicroCredits),
      "ecn.charged_micro_credits": Number(event.chargedMicroCredits),
      "ecn.markup": event.call.markup ?? undefined,
      "ecn.credit_usd_value": event.call.creditUsdValue ?? undefined,
    });
  };
}
