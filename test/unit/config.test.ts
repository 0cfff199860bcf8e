import { describe, expect, it } from "vitest";
import { ConfigError, defaultDbPath, loadConfig } from "../../src/config.js";
import { formatDecimal } from "../../src/money.js";
import { redact } from "../../src/redact.js";

describe("configuration", () => {
  it("has the documented defaults", () => {
    const config = loadConfig({ HOME: "/home/u" });
    expect(formatDecimal(config.markup)).toBe("1.25");
    expect(formatDecimal(config.creditUsdValue)).toBe("0.01");
    expect(config.deploymentMode).toBe("hosted");
    expect(config.org).toBe("local");
    expect(config.openrouter).toEqual({
      apiKey: undefined,
      baseUrl: "https://openrouter.ai/api/v1",
      embeddingModel: "openai/text-embedding-3-small",
    });
    expect(config.apify.baseUrl).toBe("https://api.apify.com");
    expect(config.socrata.baseUrl).toBeUndefined();
    expect(config.instances).toEqual({ heartbeatMs: 5_000, ttlMs: 30_000, sweepMs: 30_000 });
    expect(config.unknownMaxAgeMs).toBe(7 * 86_400_000);
    expect(config.taskTtlMs).toBe(86_400_000);
  });

  it("has the documented defaults for logs, traces, the rate limit and keep-alive", () => {
    const config = loadConfig({ HOME: "/home/u" });
    expect(config.logFormat).toBe("auto");
    expect(config.otel).toBeNull();
    expect(config.http).toMatchObject({ rateLimitPerMinute: 600, orgRateLimitPerMinute: 600, keepAliveMs: 65_000 });
    expect(loadConfig({ ECN_HTTP_RATE_LIMIT: "30" }).http.orgRateLimitPerMinute).toBe(30);
    expect(loadConfig({ ECN_HTTP_RATE_LIMIT: "30", ECN_HTTP_ORG_RATE_LIMIT: "90" }).http).toMatchObject({ rateLimitPerMinute: 30, orgRateLimitPerMinute: 90 });
  });

  it("turns tracing on with OTEL_EXPORTER_OTLP_ENDPOINT, and keeps the collector's headers secret", () => {
    const config = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/",
      OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=otel-secret-123456,x-tenant=acme%20co",
    });
    expect(config.otel).toEqual({
      endpoint: "http://collector:4318",
      protocol: "http/protobuf",
      headers: { "x-api-key": "otel-secret-123456", "x-tenant": "acme co" },
      serviceName: "ecn-mcp",
    });
    expect(redact("collector said otel-secret-123456")).toBe("collector said [redacted]");
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://c", OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_SERVICE_NAME: "mcp-eu" }).otel).toMatchObject({
      protocol: "http/json",
      serviceName: "mcp-eu",
    });
  });

  it("refuses an instance TTL shorter than two heartbeats: a live server could be taken for dead", () => {
    expect(() => loadConfig({ ECN_HEARTBEAT_MS: "5000", ECN_INSTANCE_TTL_MS: "9000" })).toThrow(/ECN_INSTANCE_TTL_MS: must be at least twice ECN_HEARTBEAT_MS/);
    expect(loadConfig({ ECN_HEARTBEAT_MS: "200", ECN_INSTANCE_TTL_MS: "1000", ECN_SWEEP_MS: "500" }).instances).toEqual({
      heartbeatMs: 200,
      ttlMs: 1_000,
      sweepMs: 500,
    });
  });

  it("keeps servers' outcome spools beside the SQLite ledger, in the data directory for PostgreSQL, or in ECN_SPOOL_DIR", () => {
    expect(loadConfig({ ECN_DB_PATH: "/srv/ecn/ledger.db" }).spoolDir).toBe("/srv/ecn/ledger.db.spool");
    if (process.platform === "linux") {
      expect(loadConfig({ XDG_DATA_HOME: "/data", ECN_DATABASE_URL: "postgres://u:p@db:5432/ecn" }).spoolDir).toBe("/data/ecn-mcp/spool");
    }
    expect(loadConfig({ ECN_DATABASE_URL: "postgres://u:p@db:5432/ecn", ECN_SPOOL_DIR: "/var/lib/ecn/spool" }).spoolDir).toBe("/var/lib/ecn/spool");
  });

  it("parses markup and credit value as exact decimals", () => {
    const config = loadConfig({ ECN_MARKUP: "1.3333333333", ECN_CREDIT_USD_VALUE: "0.001" });
    expect(config.markup).toEqual({ units: 13333333333n, scale: 10 });
    expect(config.creditUsdValue).toEqual({ units: 1n, scale: 3 });
    expect(loadConfig({ ECN_LEAD_SIGNAL_MIN_CHARGE_USD: "0.75" }).apify.minChargeUsd).toEqual({ units: 75n, scale: 2 });
  });

  it.each([
    ["ECN_MARKUP", "0.99"],
    ["ECN_MARKUP", "0"],
    ["ECN_MARKUP", "-2"],
    ["ECN_MARKUP", "1e2"],
    ["ECN_CREDIT_USD_VALUE", "0"],
    ["ECN_CREDIT_USD_VALUE", "ten"],
    ["ECN_CREDIT_USD_VALUE", "0.0009"],
    ["ECN_MARKUP", "101"],
    ["ECN_LEAD_SIGNAL_MIN_CHARGE_USD", "-1"],
    ["ECN_LEAD_SIGNAL_MIN_CHARGE_USD", "10001"],
    ["ECN_DEPLOYMENT_MODE", "saas"],
    ["OPENROUTER_BASE_URL", "ftp://x"],
    ["ECN_PROVIDER_TIMEOUT_MS", "5"],
    ["ECN_LOG_FORMAT", "xml"],
    ["ECN_HTTP_ORG_RATE_LIMIT", "0"],
    ["ECN_HTTP_KEEP_ALIVE_MS", "500"],
    ["OTEL_EXPORTER_OTLP_ENDPOINT", "grpc://collector:4317"],
    ["OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"],
    ["OTEL_EXPORTER_OTLP_HEADERS", "no-equals-sign"],
    ["ECN_TASK_TTL_MS", "999"],
    ["ECN_TASK_TTL_MS", "2592000001"],
    ["ECN_TASK_TTL_MS", "1.5"],
  ])("refuses %s=%s naming the variable", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}: `));
  });

  it("never echoes a secret in its messages", () => {
    try {
      loadConfig({ OPENROUTER_API_KEY: "sk-or-secret", ECN_MARKUP: "0" });
    } catch (error) {
      expect(String(error)).not.toContain("sk-or-secret");
    }
  });

  it("treats empty values as unset and trims keys", () => {
    const config = loadConfig({ ECN_MARKUP: "", OPENROUTER_API_KEY: "  sk-or-x  ", OPENROUTER_BASE_URL: "http://127.0.0.1:9/api/v1/" });
    expect(formatDecimal(config.markup)).toBe("1.25");
    expect(config.openrouter).toMatchObject({ apiKey: "sk-or-x", baseUrl: "http://127.0.0.1:9/api/v1" });
  });

  it("puts the ledger in the platform's per-user data directory", () => {
    expect(defaultDbPath({ XDG_DATA_HOME: "/data" }, "linux")).toBe("/data/ecn-mcp/ecn.db");
    expect(defaultDbPath({}, "darwin")).toMatch(/Library\/Application Support\/ecn-mcp\/ecn\.db$/);
    expect(defaultDbPath({ APPDATA: "C:\\Users\\u\\AppData\\Roaming" }, "win32")).toContain("ecn-mcp");
  });
});

describe("the store", () => {
  it("is the SQLite file unless ECN_DATABASE_URL names a PostgreSQL database", () => {
    expect(loadConfig({ ECN_DB_PATH: "/tmp/x.db" })).toMatchObject({ dbPath: "/tmp/x.db", databaseUrl: undefined, pgPoolMax: 10 });
    const pg = loadConfig({ ECN_DATABASE_URL: "postgres://ecn:s3cret-pw@db.internal:5432/ledger", ECN_PG_POOL_MAX: "25" });
    expect(pg).toMatchObject({ databaseUrl: "postgres://ecn:s3cret-pw@db.internal:5432/ledger", pgPoolMax: 25 });
  });

  it.each([
    [{ ECN_DB_PATH: "/tmp/x.db", ECN_DATABASE_URL: "postgres://localhost/ledger" }, /ECN_DATABASE_URL: ECN_DB_PATH and ECN_DATABASE_URL are both set/],
    [{ ECN_DATABASE_URL: "mysql://localhost/ledger" }, /ECN_DATABASE_URL: must be a postgres:\/\//],
    [{ ECN_PG_POOL_MAX: "0" }, /ECN_PG_POOL_MAX: /],
  ])("refuses %j", (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("configures connectors: the public URL, a connection's daily cap, an upstream identity provider", () => {
    expect(loadConfig({}).oauth).toEqual({
      publicUrl: undefined,
      connectionDayCapMicroCredits: 100_000_000n,
      upstream: undefined,
      metadataFetchAnyAddress: false,
    });
    const config = loadConfig({
      ECN_PUBLIC_URL: "https://mcp.example.com/",
      ECN_CONNECTION_DAY_CAP_CREDITS: "2.5",
      ECN_OIDC_ISSUER: "https://id.example.com",
      ECN_OIDC_CLIENT_ID: "ecn",
      ECN_OIDC_CLIENT_SECRET: "s3cret-value",
    });
    expect(config.oauth).toMatchObject({
      publicUrl: "https://mcp.example.com",
      connectionDayCapMicroCredits: 2_500_000n,
      upstream: { issuer: "https://id.example.com", clientId: "ecn", clientSecret: "s3cret-value" },
    });
    expect(() => loadConfig({ ECN_PUBLIC_URL: "https://mcp.example.com/?x=1" })).toThrow(/ECN_PUBLIC_URL: must be an http\(s\) base URL/);
    expect(() => loadConfig({ ECN_CONNECTION_DAY_CAP_CREDITS: "0" })).toThrow(/ECN_CONNECTION_DAY_CAP_CREDITS: must be a number of credits above 0/);
    expect(() => loadConfig({ ECN_OIDC_ISSUER: "https://id.example.com" })).toThrow(/ECN_OIDC_CLIENT_ID: ECN_OIDC_ISSUER and ECN_OIDC_CLIENT_ID go together/);
    expect(() => loadConfig({ ECN_OIDC_CLIENT_SECRET: "x", ECN_OIDC_ISSUER: "https://id.example.com", ECN_OIDC_CLIENT_ID: "a" })).not.toThrow();
  });
});
