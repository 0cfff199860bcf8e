/**
 * The OpenTelemetry exporter's settings as the configuration reads them
 * (OTEL_EXPORTER_OTLP_*): passed to the exporter explicitly, so what the
 * server exports to is what start-up validated.
 */

/** Where and how traces are exported: the OTLP/HTTP exporter's settings. */
export interface OtelConfig {
  /** The collector's base URL; spans go to `<endpoint>/v1/traces`. */
  endpoint: string;
  protocol: "http/protobuf" | "http/json";
  /** Extra request headers (a collector's credentials). */
  headers: Record<string, string>;
  serviceName: string;
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
