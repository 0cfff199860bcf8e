/**
 * The observability settings of the configuration: the log level and format,
 * and OpenTelemetry traces (the standard OTEL_EXPORTER_OTLP_* variables):
 * their zod fields and what they become. config.ts reads the environment and
 * merges these into its one schema. The exporter is given these settings
 * explicitly, so what a server exports to is what start-up validated.
 */
import { z } from "zod/v3";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["auto", "json", "text"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Where and how traces are exported: the OTLP/HTTP exporter's settings. */
export interface OtelConfig {
  /** The collector's base URL; spans go to `<endpoint>/v1/traces`. */
  endpoint: string;
  protocol: "http/protobuf" | "http/json";
  /** Extra request headers (a collector's credentials). */
  headers: Record<string, string>;
  serviceName: string;
}

export interface TelemetryConfig {
  logLevel: LogLevel;
  /** How log lines are written: JSON lines, readable text, or (auto) text on a terminal and JSON otherwise. */
  logFormat: LogFormat;
  /** OpenTelemetry traces: exported to this OTLP collector, or off (null) without OTEL_EXPORTER_OTLP_ENDPOINT. */
  otel: OtelConfig | null;
}

/** `key=value,key=value` (values percent-decoded), as OTEL_EXPORTER_OTLP_HEADERS is written; null when malformed. */
export function parseOtelHeaders(text: string): Record<string, string> | null {
  const headers: Record<string, string> = {};
  for (const pair of text.split(",")) {
    if (!pair.trim()) continue;
    const at = pair.indexOf("=");
    if (at <= 0) return null;
    try {
      headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      return null;
    }
  }
  return headers;
}

const collectorUrl = z
  .string()
  .url({ message: "must be an http(s) URL" })
  .refine((value) => /^https?:\/\//.test(value), { message: "must be an http(s) URL" })
  .transform((value) => value.replace(/\/+$/, ""));

/** The environment variables, as fields of the configuration's schema. */
export const telemetryVars = {
  ECN_LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
  ECN_LOG_FORMAT: z.enum(LOG_FORMATS).default("auto"),
  OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl.optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(["http/protobuf", "http/json"]).default("http/protobuf"),
  OTEL_EXPORTER_OTLP_HEADERS: z
    .string()
    .optional()
    .refine((text) => text === undefined || parseOtelHeaders(text) !== null, { message: "must be comma-separated key=value pairs" }),
  OTEL_SERVICE_NAME: z.string().trim().min(1).default("ecn-mcp"),
};

type Vars = z.output<z.ZodObject<typeof telemetryVars>>;

/** The collector's headers carry its credentials: config.ts registers these as secrets. */
export function telemetrySecrets(v: Vars): string[] {
  return Object.values(v.OTEL_EXPORTER_OTLP_HEADERS ? (parseOtelHeaders(v.OTEL_EXPORTER_OTLP_HEADERS) ?? {}) : {});
}

export function telemetryConfig(v: Vars): TelemetryConfig {
  const headers = v.OTEL_EXPORTER_OTLP_HEADERS ? (parseOtelHeaders(v.OTEL_EXPORTER_OTLP_HEADERS) ?? {}) : {};
  return {
    logLevel: v.ECN_LOG_LEVEL,
    logFormat: v.ECN_LOG_FORMAT,
    otel: v.OTEL_EXPORTER_OTLP_ENDPOINT
      ? { endpoint: v.OTEL_EXPORTER_OTLP_ENDPOINT, protocol: v.OTEL_EXPORTER_OTLP_PROTOCOL, headers, serviceName: v.OTEL_SERVICE_NAME }
      : null,
  };
}
