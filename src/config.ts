/**
 * Configuration: the only reader of process.env. One zod
 * schema, parsed once at start-up; a bad value stops start-up with a message
 * naming the variable. Secrets are never echoed back in messages.
 *
 * The schema uses zod's v3 API, which zod 4 ships as `zod/v3`: every verb
 * parses the configuration first, and `zod/v3` loads as a dozen modules
 * where zod 4's own API loads about a hundred (most of a CLI verb's start-up).
 * In v3, a `.default()` before a transform is parsed like a given value (what
 * zod 4 calls `.prefault()`).
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod/v3";
import { decimalVar, httpUrl, optionalSecret, postgresUrl } from "./config-fields.js";
import { billingConfig, billingSecrets, billingVars, type StripeConfig, type WebhooksConfig } from "./config-billing.js";
import { oauthConfig, oauthProblems, oauthVars, type OAuthConfig } from "./config-oauth.js";
import { FAILPOINTS, type Failpoint } from "./failpoints.js";
import { ConfigError } from "./errors.js";
import { DEPLOYMENT_MODES, type DeploymentMode } from "./features.js";
import { compareDecimal, MAX_MARKUP, MIN_CREDIT_USD_VALUE, ONE, parseDecimal, type Decimal } from "./money.js";
import { registerSecrets } from "./redact.js";

export interface Config {
  /** The SQLite ledger file (used when databaseUrl is not set). */
  dbPath: string;
  /** A postgres:// URL: the PostgreSQL store for every verb. */
  databaseUrl: string | undefined;
  /** Where servers keep their outcome spools (one journal per server instance). */
  spoolDir: string;
  /** Connections per process to PostgreSQL. */
  pgPoolMax: number;
  creditUsdValue: Decimal;
  markup: Decimal;
  deploymentMode: DeploymentMode;
  /** The organisation the stdio server acts for. */
  org: string;
  /** Deadline for one LLM provider request, after which its outcome is unknown. */
  providerTimeoutMs: number;
  /** Deadline for one Apify actor run, after which the run is aborted. */
  actorTimeoutMs: number;
  /** How long the reconciler leaves a call alone beyond its owner's deadline. */
  reconcileGraceMs: number;
  /** Server instances: heartbeat period, how stale a heartbeat means dead, how often servers sweep for orphans. */
  instances: { heartbeatMs: number; ttlMs: number; sweepMs: number };
  /** How long a provider reference the provider does not know stays open before its hold is charged (estimated). */
  unknownMaxAgeMs: number;
  logLevel: LogLevel;
  /** Windows' per-user application data folder (APPDATA), where some MCP clients keep their settings. */
  appDataDir: string | undefined;
  /** The sandbox (ECN_SANDBOX=1 or --sandbox): built-in simulated providers and a separate ledger. */
  sandbox: boolean;
  /** Test-only: kill the process at this step of every paid call. */
  failpoint: Failpoint | undefined;
  openrouter: { apiKey: string | undefined; baseUrl: string; embeddingModel: string };
  apify: { token: string | undefined; baseUrl: string; leadSignalActor: string; minChargeUsd: Decimal | undefined };
  socrata: { appToken: string | undefined; baseUrl: string | undefined };
  /** Stripe, for money coming in (checkout, auto-recharge); payments are off without a secret key. */
  stripe: StripeConfig;
  /** Outgoing webhooks for alerts and grants. */
  webhooks: WebhooksConfig;
  http: {
    /** Host header names accepted (DNS rebinding protection). */
    allowedHosts: string[];
    /** Browser origins accepted (none by default); requests without an Origin header are always served. */
    allowedOrigins: string[];
    bodyLimitBytes: number;
    /** Requests per minute per API key. */
    rateLimitPerMinute: number;
    /** Bearer token for GET /metrics; /metrics is off without it. */
    metricsToken: string | undefined;
    /** The operator's token: reads every organisation in the dashboard and the REST API, never /mcp. */
    adminToken: string | undefined;
  };
  /** Connectors: the OAuth 2.1 authorization server of `ecn-mcp http`. */
  oauth: OAuthConfig;
}

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

// Defined beside the other errors, so a command can recognise it without loading the configuration's schema.
export { ConfigError };

/** The platform's per-user data directory for ecn-mcp. */
function dataDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string {
  const home = homedir();
  if (platform === "darwin") return join(home, "Library", "Application Support", "ecn-mcp");
  if (platform === "win32") return join(env.APPDATA ?? join(home, "AppData", "Roaming"), "ecn-mcp");
  return join(env.XDG_DATA_HOME || join(home, ".local", "share"), "ecn-mcp");
}

/** Where the ledger lives when ECN_DB_PATH is not set: the platform's per-user data directory. */
export function defaultDbPath(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  return join(dataDir(env, platform), "ecn.db");
}

/**
 * Where servers keep their outcome spools when ECN_SPOOL_DIR is not set:
 * beside the SQLite ledger file (`ecn.db.spool/`), or, for PostgreSQL, in
 * the per-user data directory (`…/ecn-mcp/spool/`). Servers on one machine
 * that share a ledger find each other's journals there.
 */
export function defaultSpoolDir(dbPath: string, databaseUrl: string | undefined, env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  return databaseUrl ? join(dataDir(env, platform), "spool") : `${dbPath}.spool`;
}

const variables = z.object({
  ECN_DB_PATH: z.string().min(1).optional(),
  ECN_DATABASE_URL: postgresUrl.optional(),
  ECN_SPOOL_DIR: z.string().min(1).optional(),
  ECN_PG_POOL_MAX: z.coerce.number().int().min(1).max(1_000).default(10),
  ECN_CREDIT_USD_VALUE: decimalVar(
    "a decimal of at least 0.001 (a tenth of a cent), such as 0.01",
    (d) => compareDecimal(d, MIN_CREDIT_USD_VALUE) >= 0,
  ).default("0.01"),
  ECN_MARKUP: decimalVar("a decimal number from 1 to 100, such as 1.25", (d) => compareDecimal(d, ONE) >= 0 && compareDecimal(d, MAX_MARKUP) <= 0).default(
    "1.25",
  ),
  ECN_DEPLOYMENT_MODE: z
    .string()
    .default("hosted")
    .refine((v): v is DeploymentMode => (DEPLOYMENT_MODES as readonly string[]).includes(v), {
      message: `must be one of ${DEPLOYMENT_MODES.join(", ")}`,
    }),
  ECN_ORG: z.string().trim().min(1).max(100).default("local"),
  ECN_PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(120_000),
  ECN_ACTOR_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(900_000),
  ECN_RECONCILE_GRACE_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
  ECN_HEARTBEAT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  ECN_INSTANCE_TTL_MS: z.coerce.number().int().min(300).max(3_600_000).default(30_000),
  ECN_SWEEP_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  ECN_UNKNOWN_MAX_AGE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(365 * 86_400_000)
    .default(7 * 86_400_000),
  ECN_LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
  OPENROUTER_API_KEY: optionalSecret,
  OPENROUTER_BASE_URL: httpUrl.default("https://openrouter.ai/api/v1"),
  ECN_EMBEDDING_MODEL: z.string().trim().min(3).default("openai/text-embedding-3-small"),
  APIFY_API_TOKEN: optionalSecret,
  APIFY_BASE_URL: httpUrl.default("https://api.apify.com"),
  ECN_LEAD_SIGNAL_ACTOR: z.string().trim().min(1).default("apify/google-search-scraper"),
  ECN_LEAD_SIGNAL_MIN_CHARGE_USD: decimalVar(
    "a decimal number of US dollars from 0 to 10000, such as 0.5",
    (d) => compareDecimal(d, parseDecimal("10000")) <= 0,
  ).optional(),
  SOCRATA_APP_TOKEN: optionalSecret,
  ECN_SOCRATA_BASE_URL: httpUrl.optional(),
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
  ECN_METRICS_TOKEN: optionalSecret,
  ECN_ADMIN_TOKEN: optionalSecret.refine((token) => token === undefined || token.length >= 24, {
    message: "must be at least 24 characters: it reads every organisation's data (e.g. openssl rand -hex 24)",
  }),
  ECN_FAILPOINT: z.enum(FAILPOINTS).optional(),
  ECN_SANDBOX: z.enum(["0", "1", "true", "false"]).default("0"),
  ...oauthVars,
  ...billingVars,
});

const schema = variables
  .refine((v) => !(v.ECN_DB_PATH && v.ECN_DATABASE_URL), {
    message: "ECN_DB_PATH and ECN_DATABASE_URL are both set: choose one store (the SQLite file, or PostgreSQL)",
    path: ["ECN_DATABASE_URL"],
  })
  .superRefine((v, ctx) => {
    for (const problem of oauthProblems(v)) ctx.addIssue({ code: "custom", path: [problem.path], message: problem.message });
  })
  // A live instance must renew its heartbeat at least twice per TTL, or a hiccup would make it look dead.
  .refine((v) => v.ECN_INSTANCE_TTL_MS >= 2 * v.ECN_HEARTBEAT_MS, {
    message: "must be at least twice ECN_HEARTBEAT_MS, or a live server could be taken for dead",
    path: ["ECN_INSTANCE_TTL_MS"],
  });

/** Every environment variable the configuration reads (the docs' configuration table lists exactly these). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(variables.shape);

/**
 * The sandbox ledger: a SQLite file of its own beside the live one's default
 * place (ecn.db -> ecn.sandbox.db), never the live file or database.
 */
export function sandboxDbPath(dbPath: string): string {
  return dbPath.endsWith(".db") ? `${dbPath.slice(0, -3)}.sandbox.db` : `${dbPath}.sandbox`;
}

/** A database URL given on the command line (`--database-url`): checked like ECN_DATABASE_URL, its password kept out of every message. */
export function checkDatabaseUrl(url: string, flag: string): string {
  if (!postgresUrl.safeParse(url).success) throw new ConfigError(`${flag}: must be a postgres:// (or postgresql://) URL`);
  registerSecrets(databasePassword(url));
  return url;
}

function databasePassword(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

/** Empty strings count as unset, as a shell user expects from `VAR= ecn-mcp`. */
function withoutEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value !== "") out[key] = value;
  return out;
}

/** Parses and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(withoutEmpty(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n  ${problems.join("\n  ")}`);
  }
  const v = parsed.data;
  // From here on no message that leaves the process can carry these values.
  registerSecrets(v.OPENROUTER_API_KEY, v.APIFY_API_TOKEN, v.SOCRATA_APP_TOKEN, v.ECN_METRICS_TOKEN, v.ECN_ADMIN_TOKEN, databasePassword(v.ECN_DATABASE_URL));
  registerSecrets(v.ECN_OIDC_CLIENT_SECRET, ...billingSecrets(v));
  const dbPath = v.ECN_DB_PATH ?? defaultDbPath(env);
  return {
    dbPath,
    databaseUrl: v.ECN_DATABASE_URL,
    spoolDir: v.ECN_SPOOL_DIR ?? defaultSpoolDir(dbPath, v.ECN_DATABASE_URL, env),
    pgPoolMax: v.ECN_PG_POOL_MAX,
    creditUsdValue: v.ECN_CREDIT_USD_VALUE,
    markup: v.ECN_MARKUP,
    deploymentMode: v.ECN_DEPLOYMENT_MODE,
    org: v.ECN_ORG,
    providerTimeoutMs: v.ECN_PROVIDER_TIMEOUT_MS,
    actorTimeoutMs: v.ECN_ACTOR_TIMEOUT_MS,
    reconcileGraceMs: v.ECN_RECONCILE_GRACE_MS,
    instances: { heartbeatMs: v.ECN_HEARTBEAT_MS, ttlMs: v.ECN_INSTANCE_TTL_MS, sweepMs: v.ECN_SWEEP_MS },
    unknownMaxAgeMs: v.ECN_UNKNOWN_MAX_AGE_MS,
    logLevel: v.ECN_LOG_LEVEL,
    appDataDir: env.APPDATA || undefined,
    failpoint: v.ECN_FAILPOINT,
    sandbox: v.ECN_SANDBOX === "1" || v.ECN_SANDBOX === "true",
    openrouter: { apiKey: v.OPENROUTER_API_KEY, baseUrl: v.OPENROUTER_BASE_URL, embeddingModel: v.ECN_EMBEDDING_MODEL },
    apify: { token: v.APIFY_API_TOKEN, baseUrl: v.APIFY_BASE_URL, leadSignalActor: v.ECN_LEAD_SIGNAL_ACTOR, minChargeUsd: v.ECN_LEAD_SIGNAL_MIN_CHARGE_USD },
    socrata: { appToken: v.SOCRATA_APP_TOKEN, baseUrl: v.ECN_SOCRATA_BASE_URL },
    ...billingConfig(v),
    http: {
      allowedHosts: v.ECN_HTTP_ALLOWED_HOSTS,
      allowedOrigins: v.ECN_ALLOWED_ORIGINS,
      bodyLimitBytes: v.ECN_HTTP_BODY_LIMIT_BYTES,
      rateLimitPerMinute: v.ECN_HTTP_RATE_LIMIT,
      metricsToken: v.ECN_METRICS_TOKEN,
      adminToken: v.ECN_ADMIN_TOKEN,
    },
    oauth: oauthConfig(v),
  };
}
