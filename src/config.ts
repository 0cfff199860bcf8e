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
import { httpConfig, httpVars, type HttpConfig } from "./config-http.js";
import { decimalVar, httpUrl, optionalSecret, postgresUrl } from "./config-fields.js";
import { billingConfig, billingSecrets, billingVars, type StripeConfig, type WebhooksConfig } from "./config-billing.js";
import { oauthConfig, oauthProblems, oauthVars, type OAuthConfig } from "./config-oauth.js";
import { telemetryConfig, telemetrySecrets, telemetryVars, type TelemetryConfig } from "./config-telemetry.js";
import { timingConfig, timingProblems, timingVars, type TimingConfig } from "./config-timing.js";
import { FAILPOINTS, type Failpoint } from "./failpoints.js";
import { ConfigError } from "./errors.js";
import { DEPLOYMENT_MODES, type DeploymentMode } from "./features.js";
import { compareDecimal, MAX_MARKUP, MIN_CREDIT_USD_VALUE, ONE, parseDecimal, type Decimal } from "./money.js";
import { registerSecrets } from "./redact.js";

/** The log level and format and the traces are in ./config-telemetry.ts, the deadlines and periods in ./config-timing.ts. */
export interface Config extends TelemetryConfig, TimingConfig {
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
  /** Windows' per-user application data folder (APPDATA), where some MCP clients keep their settings. */
  appDataDir: string | undefined;
  /** The sandbox (ECN_SANDBOX=1 or --sandbox): built-in simulated providers and a separate ledger. */
  sandbox: boolean;
  /** Test-only: kill the process at this step of every paid call. */
  failpoint: Failpoint | undefined;
  openrouter: { apiKey: string | undefined; baseUrl: string; embeddingModel: string };
  apify: { token: string | undefined; baseUrl: string; leadSignalActor: string; minChargeUsd: Decimal | undefined };
  socrata: { appToken: string | undefined; baseUrl: string | undefined };
  /** The HTTP server (`ecn-mcp http`): see ./config-http.ts. */
  http: HttpConfig;
  /** Stripe, for money coming in (checkout, auto-recharge); payments are off without a secret key. */
  stripe: StripeConfig;
  /** Outgoing webhooks for alerts and grants. */
  webhooks: WebhooksConfig;
  /** Connectors: the OAuth 2.1 authorization server of `ecn-mcp http`. */
  oauth: OAuthConfig;
}

export { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel, type OtelConfig } from "./config-telemetry.js";

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
  ...timingVars,
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
  ECN_FAILPOINT: z.enum(FAILPOINTS).optional(),
  ECN_SANDBOX: z.enum(["0", "1", "true", "false"]).default("0"),
  ...httpVars,
  ...oauthVars,
  ...telemetryVars,
  ...billingVars,
});

const schema = variables
  .refine((v) => !(v.ECN_DB_PATH && v.ECN_DATABASE_URL), {
    message: "ECN_DB_PATH and ECN_DATABASE_URL are both set: choose one store (the SQLite file, or PostgreSQL)",
    path: ["ECN_DATABASE_URL"],
  })
  .superRefine((v, ctx) => {
    for (const problem of [...timingProblems(v), ...oauthProblems(v)]) ctx.addIssue({ code: "custom", path: [problem.path], message: problem.message });
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
  registerSecrets(v.ECN_OIDC_CLIENT_SECRET, ...telemetrySecrets(v), ...billingSecrets(v));
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
    ...timingConfig(v),
    ...telemetryConfig(v),
    appDataDir: env.APPDATA || undefined,
    failpoint: v.ECN_FAILPOINT,
    sandbox: v.ECN_SANDBOX === "1" || v.ECN_SANDBOX === "true",
    openrouter: { apiKey: v.OPENROUTER_API_KEY, baseUrl: v.OPENROUTER_BASE_URL, embeddingModel: v.ECN_EMBEDDING_MODEL },
    apify: { token: v.APIFY_API_TOKEN, baseUrl: v.APIFY_BASE_URL, leadSignalActor: v.ECN_LEAD_SIGNAL_ACTOR, minChargeUsd: v.ECN_LEAD_SIGNAL_MIN_CHARGE_USD },
    socrata: { appToken: v.SOCRATA_APP_TOKEN, baseUrl: v.ECN_SOCRATA_BASE_URL },
    ...billingConfig(v),
    http: httpConfig(v),
    oauth: oauthConfig(v),
  };
}
