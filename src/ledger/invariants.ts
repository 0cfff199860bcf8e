/**
 * The ledger's invariants, written down once and checked by one function
 * over a ledger file. Tests run it after every operation; an operator can run
 * it on a live file (it only reads).
 *
 *  1. A wallet's balance equals the sum of its credit transactions.
 *  2. A wallet's held amount equals the sum of its open calls' wallet holds.
 *  3. Available credits (balance - held) are negative only where a settle
 *     charged beyond its hold (an over_hold event): a hold never overdraws.
 *  4. A call's rows match its state: open -> no events, no spend; voided ->
 *     no spend and only zero-charge events; settled -> one spend equal to the
 *     sum of its events' charges (none when that sum is 0).
 *  5. At most one live call per (organisation, idempotency key).
 *  6. Every amount column holds an integer.
 *  7. Every event is charged at least cost x markup / credit value (hosted),
 *     or counted against budgets at least at cost (self_host).
 *  8. The daily rollup (usage_daily) equals the events it sums.
 */
import type Database from "better-sqlite3";
import { chargeMicroCredits, ONE, parseDecimal } from "../money.js";

type Row = Record<string, unknown>;

function all(db: Database.Database, sql: string): Row[] {
  return db.prepare(sql).safeIntegers(true).all() as Row[];
}

export function checkInvariants(db: Database.Database): string[] {
  const problems: string[] = [];
  const fail = (message: string, rows: Row[]) => {
    for (const row of rows.slice(0, 5)) problems.push(`${message}: ${JSON.stringify(row, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`);
  };

  fail(
    "balance differs from the sum of transactions",
    all(db, `SELECT w.org_id, w.balance_micro_credits AS balance,
               (SELECT coalesce(sum(amount_micro_credits), 0) FROM credit_transactions t WHERE t.org_id = w.org_id) AS sum
             FROM wallets w WHERE balance <> sum`),
  );
  fail(
    "held differs from the sum of open holds",
    all(db, `SELECT w.org_id, w.held_micro_credits AS held,
               (SELECT coalesce(sum(wallet_hold_micro_credits), 0) FROM tool_calls c
                 WHERE c.org_id = w.org_id AND c.state IN ('held','dispatched','unknown')) AS sum
             FROM wallets w WHERE held <> sum`),
  );
  fail(
    "available balance negative without an over-hold charge",
    all(db, `SELECT org_id, balance_micro_credits - held_micro_credits AS available FROM wallets w
             WHERE balance_micro_credits - held_micro_credits < 0
               AND NOT EXISTS (SELECT 1 FROM usage_events e WHERE e.org_id = w.org_id AND e.over_hold = 1)`),
  );
  fail(
    "open call with events or a spend",
    all(db, `SELECT id, state FROM tool_calls c WHERE state IN ('held','dispatched','unknown')
             AND (EXISTS (SELECT 1 FROM usage_events e WHERE e.tool_call_id = c.id)
               OR EXISTS (SELECT 1 FROM credit_transactions t WHERE t.tool_call_id = c.id))`),
  );
  fail(
    "voided call with a charge",
    all(db, `SELECT id FROM tool_calls c WHERE state = 'voided'
             AND (EXISTS (SELECT 1 FROM credit_transactions t WHERE t.tool_call_id = c.id)
               OR EXISTS (SELECT 1 FROM usage_events e WHERE e.tool_call_id = c.id AND e.charged_micro_credits <> 0))`),
  );
  fail(
    "settled call whose spend differs from its events",
    all(db, `SELECT c.id,
               (SELECT coalesce(sum(charged_micro_credits), 0) FROM usage_events e WHERE e.tool_call_id = c.id) AS charged,
               (SELECT coalesce(-sum(amount_micro_credits), 0) FROM credit_transactions t WHERE t.tool_call_id = c.id) AS spent,
               (SELECT count(*) FROM credit_transactions t WHERE t.tool_call_id = c.id) AS spends
             FROM tool_calls c WHERE state = 'settled'
             AND (charged <> spent OR spends > 1 OR (charged = 0 AND spends <> 0))`),
  );
  fail(
    "settled call without a usage event",
    all(db, `SELECT id FROM tool_calls c WHERE state = 'settled'
             AND NOT EXISTS (SELECT 1 FROM usage_events e WHERE e.tool_call_id = c.id)`),
  );
  fail(
    "two live calls share an idempotency key",
    all(db, `SELECT org_id, idempotency_key, count(*) AS n FROM tool_calls
             WHERE idempotency_key IS NOT NULL AND state <> 'voided' GROUP BY 1, 2 HAVING n > 1`),
  );
  fail(
    "non-integer amount",
    all(db, `SELECT 'wallets' AS t, org_id AS id FROM wallets
               WHERE typeof(balance_micro_credits) <> 'integer' OR typeof(held_micro_credits) <> 'integer'
             UNION ALL SELECT 'credit_transactions', id FROM credit_transactions WHERE typeof(amount_micro_credits) <> 'integer'
             UNION ALL SELECT 'tool_calls', id FROM tool_calls
               WHERE typeof(hold_micro_credits) <> 'integer' OR typeof(wallet_hold_micro_credits) <> 'integer'
             UNION ALL SELECT 'usage_events', id FROM usage_events
               WHERE typeof(cost_nano_usd) <> 'integer' OR typeof(charged_micro_credits) <> 'integer'
                  OR typeof(metered_micro_credits) <> 'integer'`),
  );

  fail(
    "daily rollup differs from the events",
    all(db, `WITH actual AS (
               SELECT e.org_id, e.feature, e.settled_at - (e.settled_at % 86400000) AS day, c.deployment_mode AS mode,
                      count(DISTINCT e.tool_call_id) AS calls, count(*) AS events, sum(e.cost_nano_usd) AS cost,
                      sum(e.charged_micro_credits) AS charged, sum(e.metered_micro_credits) AS metered,
                      sum(e.estimated) AS estimated, sum(e.over_hold) AS over_hold
                 FROM usage_events e JOIN tool_calls c ON c.id = e.tool_call_id GROUP BY 1, 2, 3, 4)
             SELECT a.*, d.events AS rolled_events FROM actual a
               LEFT JOIN usage_daily d ON d.org_id = a.org_id AND d.feature = a.feature AND d.day = a.day AND d.deployment_mode = a.mode
              WHERE d.org_id IS NULL OR d.calls <> a.calls OR d.events <> a.events OR d.cost_nano_usd <> a.cost
                 OR d.charged_micro_credits <> a.charged OR d.metered_micro_credits <> a.metered
                 OR d.estimated_events <> a.estimated OR d.over_hold_events <> a.over_hold
             UNION ALL
             SELECT d.org_id, d.feature, d.day, d.deployment_mode, d.calls, d.events, 0, 0, 0, 0, 0, -1 FROM usage_daily d
              WHERE NOT EXISTS (SELECT 1 FROM usage_events e WHERE e.org_id = d.org_id AND e.feature = d.feature
                                  AND e.settled_at >= d.day AND e.settled_at < d.day + 86400000)`),
  );

  const events = all(
    db,
    `SELECT e.id, e.cost_nano_usd, e.markup, e.credit_usd_value, e.charged_micro_credits, e.metered_micro_credits,
            c.deployment_mode
       FROM usage_events e JOIN tool_calls c ON c.id = e.tool_call_id WHERE c.state = 'settled'`,
  );
  for (const event of events) {
    const cost = event.cost_nano_usd as bigint;
    const creditValue = parseDecimal(String(event.credit_usd_value));
    const hosted = event.deployment_mode === "hosted";
    const floor = chargeMicroCredits(cost, hosted ? parseDecimal(String(event.markup)) : ONE, creditValue);
    const amount = (hosted ? event.charged_micro_credits : event.metered_micro_credits) as bigint;
    if (amount < floor) fail("event charged below cost x markup", [{ id: event.id, amount, floor }]);
  }
  return problems;
}
