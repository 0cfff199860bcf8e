/**
 * PostgreSQL's plans for the queries with optional filters. One prepared
 * statement serves every combination of filters (`CAST(@x AS ...) IS NULL OR
 * ...`), which only stays fast if PostgreSQL plans each execution with its
 * values: a generic plan cannot use an index behind an OR with a NULL test,
 * and would scan the table. So each query runs as the store runs it, a named
 * prepared statement, often enough that PostgreSQL has weighed a generic
 * plan (after five executions), on a ledger large enough, and analysed, that
 * the planner's choice matters; then its plan must use the intended index.
 *
 * Every statement with an optional filter must be listed here: a new one
 * fails the test until its plan is pinned.
 */
import type pg from "pg";
import { describe, expect, it } from "vitest";
import type { PostgresLedger } from "../../src/ledger/index.js";
import "../../src/ledger/ledger.js";
import { compile, declaredStatements, type Params, type SqlValue } from "../../src/ledger/sql.js";
import { STORE, tempLedger } from "../helpers/store.js";

const ORGS = 200;
const CALLS = 40_000;
const DAYS = 90;
/** Billing events (alerts, grants), each with one webhook delivery. */
const EVENTS = 20_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const ORG = "org_17";

/** A ledger of many organisations with a long history: every table the plans read, in bulk. */
const SEED = `
  INSERT INTO orgs (id, name, created_at) SELECT 'org_' || i, 'org ' || i, 0 FROM generate_series(0, ${ORGS - 1}) i;
  INSERT INTO wallets (org_id, balance_micro_credits, held_micro_credits, updated_at) SELECT id, 0, 0, 0 FROM orgs;
  INSERT INTO tool_calls (id, org_id, feature, provider, state, deployment_mode, hold_micro_credits, wallet_hold_micro_credits,
      request_hash, markup, credit_usd_value, provider_refs, created_at)
    SELECT 'tc_' || i, 'org_' || (i % ${ORGS}), CASE WHEN i % 3 = 0 THEN 'lead_qualify' ELSE 'profile_draft' END, 'openrouter',
           CASE WHEN i % 500 = 0 THEN 'held' ELSE 'settled' END, 'hosted', 1000, 1000, 'h', '1.25', '0.01', '[]',
           ${T0} + i::bigint * ${Math.floor((DAYS * DAY) / CALLS)}
      FROM generate_series(0, ${CALLS - 1}) i;
  INSERT INTO usage_events (id, tool_call_id, org_id, feature, provider, model, outcome, cost_nano_usd, cost_source, markup,
      credit_usd_value, charged_micro_credits, metered_micro_credits, created_at, settled_at)
    SELECT 'ue_' || substr(id, 4), id, org_id, feature, provider, 'openai/gpt-4o-mini', 'ok', 8000, 'reported', '1.25', '0.01', 1000, 1000,
           created_at, created_at
      FROM tool_calls WHERE state = 'settled';
  INSERT INTO usage_daily (org_id, feature, day, deployment_mode, markup, credit_usd_value, calls, events, cost_nano_usd,
      charged_micro_credits, metered_micro_credits, estimated_events, over_hold_events, below_markup_events)
    SELECT o.id, f, ${T0} + d::bigint * ${DAY}, 'hosted', '1.25', '0.01', 1, 1, 8000, 1000, 1000, 0, 0, 0
      FROM orgs o, generate_series(0, ${DAYS - 1}) d, unnest(ARRAY['profile_draft', 'lead_qualify']) f;
  INSERT INTO usage_model_daily (org_id, day, provider, model, events, cost_nano_usd, charged_micro_credits)
    SELECT o.id, ${T0} + d::bigint * ${DAY}, 'openrouter', m, 1, 8000, 1000
      FROM orgs o, generate_series(0, ${DAYS - 1}) d, unnest(ARRAY['openai/gpt-4o-mini', 'deepseek/deepseek-r1']) m;
  INSERT INTO refusals_daily (org_id, day, feature, code, refusals)
    SELECT o.id, ${T0} + d::bigint * ${DAY}, 'profile_draft', 'insufficient_credits', 1 FROM orgs o, generate_series(0, ${DAYS - 1}) d;
  INSERT INTO budgets (id, org_id, feature, period, limit_micro_credits, hard, created_at, updated_at)
    SELECT 'bud_' || i, 'org_' || (i % ${ORGS}), CASE WHEN i % 2 = 0 THEN NULL ELSE 'f' || i END, 'day', 1000, 1, 0, 0
      FROM generate_series(0, ${ORGS * 10 - 1}) i;
  INSERT INTO api_keys (id, org_id, name, prefix, key_hash, created_at)
    SELECT 'key_' || i, 'org_' || (i % ${ORGS}), NULL, 'ecn_sk_', md5(i::text), 0 FROM generate_series(0, ${ORGS * 10 - 1}) i;
  INSERT INTO connections (id, org_id, client_id, client_name, scope, day_cap_micro_credits, grant_id, signed_in_via, created_at)
    SELECT 'con_' || i, 'org_' || (i % ${ORGS}), 'client', 'App', 'tools:free', 1000, 'grant_' || i, 'api_key', i FROM generate_series(0, ${ORGS * 10 - 1}) i;
  INSERT INTO members (org_id, email, created_at) SELECT 'org_' || (i % ${ORGS}), 'p' || i || '@example.test', 0 FROM generate_series(0, ${ORGS * 10 - 1}) i;
  INSERT INTO webhook_endpoints (id, org_id, url, secret, created_at)
    SELECT 'whe_' || i, 'org_' || (i % ${ORGS}), 'https://hooks.example.test/' || i, 'whsec_x', 0 FROM generate_series(0, ${ORGS * 10 - 1}) i;
  INSERT INTO billing_events (id, org_id, type, payload, created_at)
    SELECT 'msg_' || i, 'org_' || (i % ${ORGS}), 'credits.granted', '{}', ${T0} + i::bigint * 60000 FROM generate_series(0, ${EVENTS - 1}) i;
  INSERT INTO webhook_outbox (id, event_id, endpoint_id, org_id, attempts, next_attempt_at, delivered_at, created_at)
    SELECT 'msg_' || i || '.whe', 'msg_' || i, 'whe_' || (i % ${ORGS}), 'org_' || (i % ${ORGS}), 1, ${T0}, ${T0}, ${T0} + i::bigint * 60000
      FROM generate_series(0, ${EVENTS - 1}) i;
  ANALYZE;`;

const week = { from: T0 + 30 * DAY, to: T0 + 37 * DAY };
const window = { fromDay: week.from, toDay: week.to, orgId: ORG };
/** PostgreSQL cuts names at 63 bytes: the daily rollup's primary key, as the server names it. */
const DAILY_PK = "usage_daily_org_id_day_feature_deployment_mode_markup_credit_usd_value_pk".slice(0, 63);

/** Each statement with an optional filter, the values it runs with, and the index its plan must use. */
const PLANS: { statement: string; cases: { params: Params; index: string }[] }[] = [
  { statement: "budget_for", cases: [{ params: { orgId: ORG, period: "day", feature: null }, index: "budgets_org_idx" }] },
  { statement: "list_budgets", cases: [{ params: { orgId: ORG }, index: "budgets_org_idx" }] },
  { statement: "list_api_keys", cases: [{ params: { orgId: ORG }, index: "api_keys_org_idx" }] },
  {
    statement: "recent_usage",
    cases: [
      {
        params: { orgId: ORG, feature: null, since: null, until: null, beforeAt: null, beforeId: "", limit: 50 },
        index: "usage_events_org_settled_idx",
      },
      {
        params: { orgId: ORG, feature: "lead_qualify", since: week.from, until: week.to, beforeAt: null, beforeId: "", limit: 50 },
        index: "usage_events_org_feature_settled_idx",
      },
      {
        params: { orgId: ORG, feature: null, since: null, until: null, beforeAt: week.to, beforeId: "ue_9", limit: 50 },
        index: "usage_events_org_settled_idx",
      },
    ],
  },
  {
    statement: "export_usage_page",
    cases: [
      { params: { afterAt: week.from, afterId: "", orgId: null, feature: null, until: null, limit: 1000 }, index: "usage_events_settled_idx" },
      { params: { afterAt: week.from, afterId: "", orgId: ORG, feature: null, until: week.to, limit: 1000 }, index: "usage_events_org_settled_idx" },
    ],
  },
  {
    statement: "rollup_days",
    cases: [{ params: { orgId: ORG, from: week.from, to: week.to }, index: DAILY_PK }],
  },
  {
    statement: "rollup_events",
    cases: [
      { params: { orgId: ORG, from: week.from, to: week.from + 3_600_000 }, index: "usage_events_org_settled_idx" },
      { params: { orgId: null, from: week.from, to: week.from + 3_600_000 }, index: "usage_events_settled_idx" },
    ],
  },
  {
    statement: "open_calls_by_feature",
    cases: [
      { params: { orgId: ORG }, index: "tool_calls_open_idx" },
      { params: { orgId: null }, index: "tool_calls_open_idx" },
    ],
  },
  // The dashboard's figures of one organisation come from the rollups' primary keys.
  { statement: "dashboard_org_spend", cases: [{ params: { today: week.to, week: week.from, month: T0, orgId: ORG }, index: DAILY_PK }] },
  { statement: "dashboard_feature_days", cases: [{ params: window, index: DAILY_PK }] },
  { statement: "dashboard_margin_days", cases: [{ params: window, index: DAILY_PK }] },
  { statement: "dashboard_model_spend", cases: [{ params: window, index: "usage_model_daily_org_id_day_provider_model_pk" }] },
  { statement: "dashboard_refusal_days", cases: [{ params: window, index: "refusals_daily_org_id_day_feature_code_pk" }] },
  // An organisation's connections, members, webhook endpoints, deliveries and alerts (the CLI's lists, the dashboard).
  { statement: "list_connections", cases: [{ params: { orgId: ORG, today: week.to }, index: "connections_org_idx" }] },
  { statement: "list_members", cases: [{ params: { orgId: ORG }, index: "members_org_id_email_pk" }] },
  { statement: "list_webhook_endpoints", cases: [{ params: { orgId: ORG }, index: "webhook_endpoints_org_idx" }] },
  { statement: "list_outbox", cases: [{ params: { orgId: ORG, limit: 20 }, index: "webhook_outbox_org_idx" }] },
  { statement: "list_billing_events", cases: [{ params: { orgId: ORG, limit: 50 }, index: "billing_events_org_idx" }] },
];

const hasOptionalFilter = (sql: string) => /CAST\(@\w+ AS \w+\) IS NULL/.test(sql);

let client: pg.PoolClient;

describe.skipIf(STORE !== "postgres")("query plans (PostgreSQL)", () => {
  it("pins a plan for every statement with an optional filter", () => {
    const optional = [...declaredStatements().values()].filter((s) => hasOptionalFilter(typeof s.sql === "string" ? s.sql : s.sql.postgres)).map((s) => s.name);
    expect(optional.sort()).toEqual(PLANS.map((p) => p.statement).sort());
  });

  it("serves each filter combination from its index, on a ledger large enough that the planner's choice matters", async () => {
    const ledger = (await tempLedger()).ledger as PostgresLedger;
    await ledger.engine.pool.query(SEED);
    client = await ledger.engine.pool.connect();
    try {
      for (const { statement, cases } of PLANS) {
        for (const { params, index } of cases) {
          const filters = Object.keys(params).filter((k) => params[k] !== null && params[k] !== "");
          expect(await indexesOf(statement, params), `${statement} with ${filters.join(", ")}`).toContain(index);
        }
      }
    } finally {
      client.release();
    }
  }, 300_000);
});

const literal = (value: SqlValue): string =>
  value === null ? "NULL" : typeof value === "string" ? client.escapeLiteral(value) : typeof value === "bigint" ? value.toString() : String(value);

/**
 * The indexes in the plan PostgreSQL uses for the statement as the store
 * runs it: prepared once, executed past the point where a generic plan is
 * considered, then explained.
 */
async function indexesOf(name: string, params: Params): Promise<string[]> {
  const statement = declaredStatements().get(name);
  if (!statement) throw new Error(`no statement ${name}`);
  const compiled = compile(statement, "postgres");
  const args = compiled.params.map((param) => {
    if (!(param in params)) throw new Error(`${name}: no value for @${param}`);
    return literal(params[param]!);
  });
  const prepared = `plan_${name}`;
  await client.query(`PREPARE ${prepared} AS ${compiled.text}`);
  try {
    const execute = `EXECUTE ${prepared}(${args.join(", ")})`;
    for (let i = 0; i < 6; i++) await client.query(execute);
    const { rows } = await client.query<{ "QUERY PLAN": unknown }>(`EXPLAIN (FORMAT JSON) ${execute}`);
    const found: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (node === null || typeof node !== "object") return;
      for (const [key, value] of Object.entries(node)) {
        if (key === "Index Name" && typeof value === "string") found.push(value);
        else walk(value);
      }
    };
    walk(rows[0]!["QUERY PLAN"]);
    return found;
  } finally {
    await client.query(`DEALLOCATE ${prepared}`);
  }
}
