/**
 * Tracing with the OpenTelemetry SDK: spans batched and exported over
 * OTLP/HTTP (protobuf by default, JSON with OTEL_EXPORTER_OTLP_PROTOCOL=
 * http/json) to OTEL_EXPORTER_OTLP_ENDPOINT. Loaded only when that variable
 * is set. Context flows through AsyncLocalStorage, so the spans the ledger
 * and the providers open inside a request find that request's span as their
 * parent without being handed it.
 */
import {
  context,
  createContextKey,
  diag,
  DiagLogLevel,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes as OtelAttributes,
  type Context,
  type Span,
  type TextMapGetter,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtobufExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import type { Logger } from "../log.js";
import type { OtelConfig } from "../config-telemetry.js";
import type { Attributes, SpanHandle, Tracing } from "./tracing.js";

/** Where the MCP request span sits in the context, for the charge to find it from any depth. */
const REQUEST_SPAN = createContextKey("ecn-mcp request span");
/** A slow or unreachable collector never holds a shutdown longer than this. */
const EXPORT_TIMEOUT_MS = 5_000;

const propagator = new W3CTraceContextPropagator();
/** Reads `traceparent` and `tracestate` from a request's `params._meta`. */
const metaGetter: TextMapGetter<Record<string, unknown>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    return typeof value === "string" ? value : undefined;
  },
};

function defined(attributes: Attributes): OtelAttributes {
  const out: OtelAttributes = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = value;
  return out;
}

function handle(span: Span): SpanHandle {
  return {
    set: (attributes) => void span.setAttributes(defined(attributes)),
    fail: (errorType, message) => {
      span.setAttribute("error.type", errorType);
      span.setStatus({ code: SpanStatusCode.ERROR, ...(message ? { message } : {}) });
    },
  };
}

/** The handle of work outside any request: nothing to record on. */
const UNTRACED: SpanHandle = { set: () => undefined, fail: () => undefined };

/** What a thrown error says its kind is: our error code, a JSON-RPC code, or its class. */
function errorTypeOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" || typeof code === "number") return String(code);
  return error instanceof Error ? error.name : "_OTHER";
}

class OtelTracing implements Tracing {
  private readonly tracer;

  constructor(
    private readonly provider: TracerProvider,
    private readonly logger: Logger,
  ) {
    this.tracer = provider.getTracer("ecn-mcp");
  }

  private async within<T>(span: Span, parent: Context, run: (span: SpanHandle) => Promise<T>): Promise<T> {
    const spanHandle = handle(span);
    try {
      return await context.with(trace.setSpan(parent, span), () => run(spanHandle));
    } catch (error) {
      spanHandle.fail(errorTypeOf(error), error instanceof Error ? error.message : String(error));
      throw error;
    } finally {
      span.end();
    }
  }

  request<T>(name: string, attributes: Attributes, meta: Record<string, unknown> | undefined, run: (span: SpanHandle) => Promise<T>): Promise<T> {
    // The caller's trace context in _meta is the parent; without one, a new trace starts.
    const parent = meta ? propagator.extract(context.active(), meta, metaGetter) : context.active();
    const span = this.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes: defined(attributes) }, parent);
    return this.within(span, parent.setValue(REQUEST_SPAN, span), run);
  }

  child<T>(name: string, kind: "client" | "internal", attributes: Attributes, run: (span: SpanHandle) => Promise<T>): Promise<T> {
    const parent = context.active();
    if (!trace.getSpan(parent)) return run(UNTRACED);
    const span = this.tracer.startSpan(name, { kind: kind === "client" ? SpanKind.CLIENT : SpanKind.INTERNAL, attributes: defined(attributes) }, parent);
    return this.within(span, parent, run);
  }

  current(): SpanHandle | undefined {
    const span = context.active().getValue(REQUEST_SPAN) as Span | undefined;
    return span ? handle(span) : undefined;
  }

  logContext(): Record<string, string> | undefined {
    const span = trace.getSpan(context.active());
    if (!span) return undefined;
    const { traceId, spanId } = span.spanContext();
    return { trace_id: traceId, span_id: spanId };
  }

  /** Never throws: a collector that cannot take the last spans must not fail the server's shutdown. */
  async shutdown(): Promise<void> {
    try {
      await this.provider.shutdown();
    } catch (error) {
      this.logger.warn("could not send the last traces to the OpenTelemetry collector", { error: error instanceof Error ? error.message : String(error) });
    }
  }
}

/** Starts exporting traces as `config` says; the exporter's own troubles go to `logger` as warnings. */
export function startTracing(config: OtelConfig, logger: Logger, serviceVersion: string): Tracing {
  diag.setLogger(
    {
      error: (message) => logger.warn(`OpenTelemetry: ${message}`),
      warn: (message) => logger.warn(`OpenTelemetry: ${message}`),
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    DiagLogLevel.WARN,
  );
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const options = { url: `${config.endpoint}/v1/traces`, headers: config.headers, timeoutMillis: EXPORT_TIMEOUT_MS };
  const exporter = config.protocol === "http/json" ? new JsonExporter(options) : new ProtobufExporter(options);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": config.serviceName, "service.version": serviceVersion }),
    spanProcessors: [new BatchSpanProcessor({ exporter, exportTimeoutMillis: EXPORT_TIMEOUT_MS })],
  });
  return new OtelTracing(provider, logger);
}
