// @ts-check
/**
 * Bulk-seeding a ledger with settled calls and their usage events, straight in
 * SQL (the fast way to reach a million events), spread over the last 60 days
 * and all features, as a busy organisation's history would be.
 */
import Database from "better-sqlite3";
import { FEATURES } from "#dist/features.js";
import { openSqliteLedger } from "#dist/ledger/index.js";

/**
 * Adds `count` settled calls (one event each) for the organisation; returns how long it took in ms.
 * @param {string} dbPath
 * @param {string} orgId
 * @param {number} count
 * @param {number} [offset]
 */
export async function seedEvents(dbPath, orgId, count, offset = 0) {
  const started = Date.now();
  const db = new Database(dbPath);
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 10000");
  const now = Date.now();
  const span = 60 * 24 * 3600 * 1000;
  const features = FEATURES.map((f, i) => `WHEN ${i} THEN '${f}'`).join(" ");
  const chunk = 100_000;
  for (let from = offset; from < offset + count; from += chunk) {
    const to = Math.min(offset + count, from + chunk);
    db.transaction(() => {
      db.exec(`
        WITH RECURSIVE n(i) AS (SELECT ${from + 1} UNION ALL SELECT i + 1 FROM n WHERE i < ${to})
        INSERT INTO tool_calls (id, org_id, feature, provider, state, deployment_mode, hold_micro_credits, wallet_hold_micro_credits,
                                request_hash, markup, credit_usd_value, provider_refs, created_at, dispatched_at, resolved_at)
          SELECT 'tc_seed_' || i, '${orgId}', CASE i % 10 ${features} END, CASE i % 10 WHEN 9 THEN 'apify' ELSE 'openrouter' END,
                 'settled', 'hosted', 1000000, 1000000, 'seed', '1.25', '0.01', '[]',
                 ${now} - ${span} + i * ${Math.floor(span / (offset + count + 1))}, NULL, NULL
            FROM n;
        WITH RECURSIVE n(i) AS (SELECT ${from + 1} UNION ALL SELECT i + 1 FROM n WHERE i < ${to})
        INSERT INTO usage_events (id, tool_call_id, org_id, feature, provider, model, provider_request_id, outcome, prompt_tokens,
                                  completion_tokens, total_tokens, cost_nano_usd, cost_source, markup, credit_usd_value,
                                  charged_micro_credits, metered_micro_credits, created_at, settled_at)
          SELECT 'ue_seed_' || i, 'tc_seed_' || i, '${orgId}', CASE i % 10 ${features} END,
                 CASE i % 10 WHEN 9 THEN 'apify' ELSE 'openrouter' END, 'openai/gpt-4o-mini', 'gen-seed-' || i, 'ok', 400, 300, 700,
                 80000, 'reported', '1.25', '0.01', 10000, 10000,
                 ${now} - ${span} + i * ${Math.floor(span / (offset + count + 1))}, ${now} - ${span} + i * ${Math.floor(span / (offset + count + 1))}
            FROM n;`);
    })();
  }
  db.close();
  const ledger = openSqliteLedger(dbPath);
  await ledger.rebuildDailyRollup();
  await ledger.close();
  return Date.now() - started;
}

/**
 * The same history in a PostgreSQL ledger (generate_series does what the recursive CTE does above); ms taken.
 * @param {import("#dist/ledger/index.js").PostgresLedger} ledger
 * @param {string} orgId
 * @param {number} count
 */
export async function seedEventsPostgres(ledger, orgId, count) {
  const started = Date.now();
  const pool = ledger.engine.pool;
  const now = Date.now();
  const span = 60 * 24 * 3600 * 1000;
  const step = Math.floor(span / (count + 1));
  const features = FEATURES.map((f, i) => `WHEN ${i} THEN '${f}'`).join(" ");
  for (let from = 0; from < count; from += 100_000) {
    const to = Math.min(count, from + 100_000);
    await pool.query(`
      INSERT INTO tool_calls (id, org_id, feature, provider, state, deployment_mode, hold_micro_credits, wallet_hold_micro_credits,
                              request_hash, markup, credit_usd_value, provider_refs, created_at)
        SELECT 'tc_seed_' || i, '${orgId}', CASE i % 10 ${features} END, CASE i % 10 WHEN 9 THEN 'apify' ELSE 'openrouter' END,
               'settled', 'hosted', 1000000, 1000000, 'seed', '1.25', '0.01', '[]', ${now - span} + i::bigint * ${step}
          FROM generate_series(${from + 1}, ${to}) AS i;
      INSERT INTO usage_events (id, tool_call_id, org_id, feature, provider, model, provider_request_id, outcome, prompt_tokens,
                                completion_tokens, total_tokens, cost_nano_usd, cost_source, markup, credit_usd_value,
                                charged_micro_credits, metered_micro_credits, created_at, settled_at)
        SELECT 'ue_seed_' || i, 'tc_seed_' || i, '${orgId}', CASE i % 10 ${features} END,
               CASE i % 10 WHEN 9 THEN 'apify' ELSE 'openrouter' END, 'openai/gpt-4o-mini', 'gen-seed-' || i, 'ok', 400, 300, 700,
               80000, 'reported', '1.25', '0.01', 10000, 10000, ${now - span} + i::bigint * ${step}, ${now - span} + i::bigint * ${step}
          FROM generate_series(${from + 1}, ${to}) AS i;`);
  }
  await ledger.rebuildDailyRollup();
  await pool.query("ANALYZE");
  return Date.now() - started;
}
