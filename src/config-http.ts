/**
 * The HTTP server's settings of the configuration (`ecn-mcp http`): the
 * hosts and origins it serves, the body size, the rate limits, keep-alive,
 * the metrics and operator tokens: their zod fields and what they become.
 * config.ts reads the environment and merges these into its one schema (and
 * registers the tokens as secrets).
 */
import { z } from "zod/v3";
import { optionalSecret } from "./config-fields.js";

export interface HttpConfig {
  /** Host header names accepted (DNS rebinding protection). */
  allowedHosts: string[];
  /** Browser origins accepted (none by default); requests without an Origin header are always served. */
  allowedOrigins: string[];
  bodyLimitBytes: number;
  /** Requests per minute per API key (or OAuth connection). */
  rateLimitPerMinute: number;
  /** Requests per minute per organisation, all its keys and connections together. */
  orgRateLimitPerMinute: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveMs: number;
  /** Bearer token for GET /metrics; /metrics is off without it. */
  metricsToken: string | undefined;
  /** The operator's token: reads every organisation in the dashboard and the REST API, never /mcp. */
  adminToken: string | undefined;
}

/** The environment variables, as fields of the configuration's schema. */
export const httpVars = {
  ECN_HTTP_ALLOWED_HOSTS: z
    .string()
    .default("localhost,127.0.0.1,[::1]")
    .transform((list) =>
      list
        .split(",")
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    )
    .refine((hosts) => hosts.length > 0 && hosts.every((h) => /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)$/.test(h)), {
      message: "must be a comma-separated list of host names (no ports), e.g. mcp.example.com,localhost",
    }),
  ECN_ALLOWED_ORIGINS: z
    .string()
    .default("")
    .transform((list) =>
      list
        .split(",")
        .map((o) => o.trim().replace(/\/+$/, ""))
        .filter(Boolean),
    )
    .refine((origins) => origins.every((o) => URL.canParse(o) && new URL(o).origin === o.toLowerCase()), {
      message: "must be a comma-separated list of origins (scheme://host[:port], no path), e.g. https://app.example.com",
    }),
  ECN_HTTP_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(100 * 1024 * 1024)
    .default(1024 * 1024),
  ECN_HTTP_RATE_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(600),
  ECN_HTTP_ORG_RATE_LIMIT: z.coerce.number().int().min(1).max(1_000_000).optional(),
  ECN_HTTP_KEEP_ALIVE_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(65_000),
  ECN_METRICS_TOKEN: optionalSecret,
  ECN_ADMIN_TOKEN: optionalSecret.refine((token) => token === undefined || token.length >= 24, {
    message: "must be at least 24 characters: it reads every organisation's data (e.g. openssl rand -hex 24)",
  }),
};

type Vars = z.output<z.ZodObject<typeof httpVars>>;

export function httpConfig(v: Vars): HttpConfig {
  return {
    allowedHosts: v.ECN_HTTP_ALLOWED_HOSTS,
    allowedOrigins: v.ECN_ALLOWED_ORIGINS,
    bodyLimitBytes: v.ECN_HTTP_BODY_LIMIT_BYTES,
    rateLimitPerMinute: v.ECN_HTTP_RATE_LIMIT,
    // Without its own limit, an organisation may make as many requests as one key.
    orgRateLimitPerMinute: v.ECN_HTTP_ORG_RATE_LIMIT ?? v.ECN_HTTP_RATE_LIMIT,
    keepAliveMs: v.ECN_HTTP_KEEP_ALIVE_MS,
    metricsToken: v.ECN_METRICS_TOKEN,
    adminToken: v.ECN_ADMIN_TOKEN,
  };
}
