/**
 * The ledger's invariants, written down once and checked by one script over
 * either store. Tests run it after every operation; `ledger copy` runs it on
 * both sides; an operator can run it on a live ledger (it only reads).
 *
 *  1. A wallet's balance equals the sum of its credit transactions.
 *  2. A wallet's held amount equals the sum of its open calls' wallet holds.
 *  3. Available credits (balance - held) are negative only where a settle
 *     charged beyond its hold (an over_hold event), or a refund or lost
 *     dispute took back credits already spent (a clawback adjustment): a
 *     hold never overdraws.
 *  4. A call's rows match its state: open -> no events, no spend; voided ->
 *     no spend and only zero-charge events; settled -> one spend equal to the
 *     sum of its events' charges (none when that sum is 0), and an event.
 *  5. At most one live call per (organisation, idempotency key).
 *  6. Every amount column holds an integer (SQLite can store anything in any
 *     column; PostgreSQL's bigint columns hold nothing else by construction).
 *  7. Every event is charged at least cost x markup / credit value (hosted),
 *     or counted against budgets at least at cost (self_host), and its
 *     below_markup flag says exactly whether it was charged below cost x its
 *     own markup (or below cost).
 *  8. The daily rollup (usage_daily) equals the events it sums.
 *  9. So does the per-model daily rollup (usage_model_daily).
 * 10. And the per-connection daily rollup (connection_daily), which a
 *     connection's cap reads; every event names its call's connection.
 * 11. A task follows its call: same organisation; no outcome while the call
 *     is open; once it is settled or voided, the task has ended (or was
 *     cancelled) and records exactly the call's charge.
 */
import { chargedBelowMarkup, chargeMicroCredits, ONE, parseDecimal } from "../../money.js";
import { all, type Script } from "../script.js";
import { asBigInt, asNumber, p, statement, type Row, type SqlText } from "../sql.js";
import { OPEN_STATE_SQL } from "../types.js";

const OPEN = OPEN_STATE_SQL;

/** An invariant: a query that returns the rows breaking it (none when it holds), and what those rows mean. */
const invariant = (name: string, message: string, sql: SqlText) => ({ message, check: statement(`invariant_${name}`, sql, {}) });

const CHECKS = [
  invariant(
    "balance",
    "balance differs from the sum of transactions",
    `SELECT * FROM (SELECT w.org_id, w.balance_micro_credits AS balance,
       (SELECT coalesce(sum(amount_micro_credits), 0) FROM credit_transactions t WHERE t.org_id = w.org_id) AS total
       FROM wallets w) x WHERE balance <> total`,
  ),
  invariant(
    "held",
    "held differs from the sum of open holds",
    `SELECT * FROM (SELECT w.org_id, w.held_micro_credits AS held,
       (SELECT coalesce(sum(wallet_hold_micro_credits), 0) FROM tool_calls c WHERE c.org_id = w.org_id AND c.${OPEN}) AS total
       FROM wallets w) x WHERE held <> total`,
  ),
  invariant(
    "available",
    "available balance negative without an over-hold charge or a clawback",
    `SELECT org_id, balance_micro_credits - held_micro_credits AS available FROM wallets w
      WHERE balance_micro_credits - held_micro_credits < 0
        AND NOT EXISTS (SELECT 1 FROM usage_events e WHERE e.org_id = w.org_id AND e.over_hold = 1)
        AND NOT EXISTS (SELECT 1 FROM credit_transactions t WHERE t.org_id = w.org_id AND t.kind = 'adjustment' AND t.external_ref LIKE 'clawback:%')`,
  ),
  invariant(
    "open_calls",
    "open call with events or a spend",
    `SELECT id, state FROM tool_calls c WHERE ${OPEN}
       AND (EXISTS (SELECT 1 FROM usage_events e WHERE e.tool_call_id = c.id)
         OR EXISTS (SELECT 1 FROM credit_transactions t WHERE t.tool_call_id = c.id))`,
  ),
  invariant(
    "voided_calls",
    "voided call with a charge",
    `SELECT id FROM tool_calls c WHERE state = 'voided'
       AND (EXISTS (SELECT 1 FROM credit_transactions t WHERE t.tool_call_id = c.id)
         OR EXISTS (SELECT 1 FROM usage_events e WHERE e.tool_call_id = c.id AND e.charged_micro_credits <> 0))`,
  ),
  invariant(
    "settled_spend",
    "settled call whose spend differs from its events",
    `SELECT * FROM (SELECT c.id,
       (SELECT coalesce(sum(charged_micro_credits), 0) FROM usage_events e WHERE e.tool_call_id = c.id) AS charged,
       (SELECT coalesce(-sum(amount_micro_credits), 0) FROM credit_transactions t WHERE t.tool_call_id = c.id) AS spent,
       (SELECT count(*) FROM credit_transactions t WHERE t.tool_call_id = c.id) AS spends
       FROM tool_calls c WHERE state = 'settled') x
     WHERE charged <> spent OR spends > 1 OR (charged = 0 AND spends <> 0)`,
  ),
  invariant(
    "settled_event",
    "settled call without a usage event",
    "SELECT id FROM tool_calls c WHERE state = 'settled' AND NOT EXISTS (SELECT 1 FROM usage_events e WHERE e.tool_call_id = c.id)",
  ),
  invariant(
    "idempotency",
    "two live calls share an idempotency key",
    `SELECT org_id, idempotency_key, count(*) AS n FROM tool_calls
      WHERE idempotency_key IS NOT NULL AND state <> 'voided' GROUP BY org_id, idempotency_key HAVING count(*) > 1`,
  ),
  invariant("integers", "non-integer amount", {
    sqlite: `SELECT 'wallets' AS t, org_id AS id FROM wallets
               WHERE typeof(balance_micro_credits) <> 'integer' OR typeof(held_micro_credits) <> 'integer'
             UNION ALL SELECT 'credit_transactions', id FROM credit_transactions WHERE typeof(amount_micro_credits) <> 'integer'
             UNION ALL SELECT 'tool_calls', id FROM tool_calls
               WHERE typeof(hold_micro_credits) <> 'integer' OR typeof(wallet_hold_micro_credits) <> 'integer'
             UNION ALL SELECT 'usage_events', id FROM usage_events
               WHERE typeof(cost_nano_usd) <> 'integer' OR typeof(charged_micro_credits) <> 'integer'
                  OR typeof(metered_micro_credits) <> 'integer'`,
    postgres: "SELECT NULL AS t, NULL AS id WHERE 1 = 0",
  }),
  invariant(
    "daily_rollup",
    "daily rollup differs from the events",
    `WITH actual AS (
       SELECT e.org_id, e.feature, e.settled_at - (e.settled_at % 86400000) AS day, c.deployment_mode, e.markup, e.credit_usd_value,
              count(DISTINCT e.tool_call_id) AS calls, count(*) AS events, sum(e.cost_nano_usd) AS cost,
              sum(e.charged_micro_credits) AS charged, sum(e.metered_micro_credits) AS metered,
              sum(e.estimated) AS estimated, sum(e.over_hold) AS over_hold, sum(e.below_markup) AS below_markup
         FROM usage_events e JOIN tool_calls c ON c.id = e.tool_call_id
        GROUP BY e.org_id, e.feature, e.settled_at - (e.settled_at % 86400000), c.deployment_mode, e.markup, e.credit_usd_value)
     SELECT a.org_id, a.feature, a.day, a.events FROM actual a
       LEFT JOIN usage_daily d ON d.org_id = a.org_id AND d.feature = a.feature AND d.day = a.day AND d.deployment_mode = a.deployment_mode
                              AND d.markup = a.markup AND d.credit_usd_value = a.credit_usd_value
      WHERE d.org_id IS NULL OR d.calls <> a.calls OR d.events <> a.events OR d.cost_nano_usd <> a.cost
         OR d.charged_micro_credits <> a.charged OR d.metered_micro_credits <> a.metered
         OR d.estimated_events <> a.estimated OR d.over_hold_events <> a.over_hold OR d.below_markup_events <> a.below_markup
     UNION ALL
     SELECT d.org_id, d.feature, d.day, -1 FROM usage_daily d
      WHERE NOT EXISTS (SELECT 1 FROM usage_events e WHERE e.org_id = d.org_id AND e.feature = d.feature
                          AND e.markup = d.markup AND e.credit_usd_value = d.credit_usd_value
                          AND e.settled_at >= d.day AND e.settled_at < d.day + 86400000)`,
  ),
  invariant(
    "model_rollup",
    "per-model daily rollup differs from the events",
    `WITH actual AS (
       SELECT org_id, settled_at - (settled_at % 86400000) AS day, provider, coalesce(model, '') AS model,
              count(*) AS events, sum(cost_nano_usd) AS cost, sum(charged_micro_credits) AS charged
         FROM usage_events GROUP BY org_id, settled_at - (settled_at % 86400000), provider, coalesce(model, ''))
     SELECT a.org_id, a.day, a.model, a.events FROM actual a
       LEFT JOIN usage_model_daily d ON d.org_id = a.org_id AND d.day = a.day AND d.provider = a.provider AND d.model = a.model
      WHERE d.org_id IS NULL OR d.events <> a.events OR d.cost_nano_usd <> a.cost OR d.charged_micro_credits <> a.charged
     UNION ALL
     SELECT d.org_id, d.day, d.model, -1 FROM usage_model_daily d
      WHERE NOT EXISTS (SELECT 1 FROM usage_events e WHERE e.org_id = d.org_id AND e.provider = d.provider
                          AND coalesce(e.model, '') = d.model AND e.settled_at >= d.day AND e.settled_at < d.day + 86400000)`,
  ),
  invariant(
    "connection_rollup",
    "per-connection daily rollup differs from the events",
    `WITH actual AS (
       SELECT connection_id, settled_at - (settled_at % 86400000) AS day, count(DISTINCT tool_call_id) AS calls,
              sum(charged_micro_credits) AS charged, sum(metered_micro_credits) AS metered
         FROM usage_events WHERE connection_id IS NOT NULL GROUP BY connection_id, settled_at - (settled_at % 86400000))
     SELECT a.connection_id, a.day, a.calls FROM actual a
       LEFT JOIN connection_daily d ON d.connection_id = a.connection_id AND d.day = a.day
      WHERE d.connection_id IS NULL OR d.calls <> a.calls OR d.charged_micro_credits <> a.charged OR d.metered_micro_credits <> a.metered
     UNION ALL
     SELECT d.connection_id, d.day, -1 FROM connection_daily d
      WHERE NOT EXISTS (SELECT 1 FROM usage_events e WHERE e.connection_id = d.connection_id
                          AND e.settled_at >= d.day AND e.settled_at < d.day + 86400000)
     UNION ALL
     SELECT e.connection_id, e.settled_at, -2 FROM usage_events e JOIN tool_calls c ON c.id = e.tool_call_id
      WHERE coalesce(e.connection_id, '') <> coalesce(c.connection_id, '')`,
  ),
  invariant(
    "tasks",
    "task does not follow its call",
    `SELECT t.id, t.state, c.state AS call_state FROM tasks t JOIN tool_calls c ON c.id = t.tool_call_id
      WHERE t.org_id <> c.org_id
         OR (c.${OPEN} AND t.resolved_at IS NOT NULL)
         OR (c.state IN ('settled', 'voided') AND (t.resolved_at IS NULL OR t.state IN ('working', 'input_required')
             OR t.charged_micro_credits <> (SELECT coalesce(sum(e.charged_micro_credits), 0) FROM usage_events e WHERE e.tool_call_id = c.id)))`,
  ),
];

/** Settled events after (id), a page at a time: the charge of each is checked in exact arithmetic. */
const settledEvents = statement(
  "invariant_settled_events_page",
  `SELECT e.id, e.cost_nano_usd, e.markup, e.credit_usd_value, e.charged_micro_credits, e.metered_micro_credits, e.below_markup, c.deployment_mode
     FROM usage_events e JOIN tool_calls c ON c.id = e.tool_call_id
    WHERE c.state = 'settled' AND e.id > @after ORDER BY e.id LIMIT 5000`,
  { after: p.text },
);

const show = (row: Row) => JSON.stringify(row, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value));

/** Every broken invariant, described with up to five offending rows each; empty when the ledger is sound. */
export function* checkInvariants(): Script<string[]> {
  const problems: string[] = [];
  for (const { check, message } of CHECKS) {
    for (const row of (yield* all(check)).slice(0, 5)) problems.push(`${message}: ${show(row)}`);
  }
  for (let after = ""; ;) {
    const page = yield* all(settledEvents, { after });
    for (const event of page) {
      const cost = asBigInt(event.cost_nano_usd);
      const hosted = event.deployment_mode === "hosted";
      const [markup, creditUsdValue] = [parseDecimal(String(event.markup)), parseDecimal(String(event.credit_usd_value))];
      const floor = chargeMicroCredits(cost, hosted ? markup : ONE, creditUsdValue);
      const amount = asBigInt(hosted ? event.charged_micro_credits : event.metered_micro_credits);
      if (amount < floor) problems.push(`event charged below cost x markup: ${show({ id: event.id, amount, floor })}`);
      const below = hosted && chargedBelowMarkup(asBigInt(event.charged_micro_credits), cost, markup, creditUsdValue);
      if (below !== (asNumber(event.below_markup) === 1))
        problems.push(`event's below_markup flag is wrong: ${show({ id: event.id, below_markup: event.below_markup })}`);
    }
    if (page.length < 5000) break;
    after = String(page.at(-1)!.id);
  }
  return problems;
}
