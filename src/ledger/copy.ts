/**
 * `ecn-mcp ledger copy`: moves a SQLite ledger into an empty PostgreSQL
 * database, every table, every id kept, in ONE transaction (all or nothing),
 * then checks the invariants on both sides and that balances, events and
 * transactions agree. The column lists come from the schema, so a new column
 * is copied without a change here.
 */
import { getTableColumns, getTableName, type Table } from "drizzle-orm";
import { LedgerRefusal } from "./errors.js";
import type { PostgresLedger } from "./postgres/ledger.js";
import { get, run, type Script } from "./script.js";
import { asBigInt, asNumber, statement, type Row, type SqlValue, type Statement } from "./sql.js";
import type { SqliteLedger } from "./sqlite/ledger.js";
import * as t from "./sqlite/schema.js";

/** Parents before children, so every foreign key finds its row. */
const TABLES: Table[] = [
  t.orgs,
  t.wallets,
  t.apiKeys,
  t.rateCards,
  t.budgets,
  t.budgetNotices,
  t.toolCalls,
  t.usageEvents,
  t.creditTransactions,
  t.usageDaily,
  t.dataQueryLog,
  t.modelPrices,
  t.modelPriceOverrides,
  t.ledgerHealth,
  t.instances,
  t.usageModelDaily,
  t.refusalsDaily,
  t.dashboardSessions,
  t.reconcileRuns,
  t.providerUsageSnapshots,
  t.creditPacks,
  t.checkoutSessions,
  t.stripeCustomers,
  t.stripeEvents,
  t.payments,
  t.rechargeRules,
  t.rechargeAttempts,
  t.billingSignals,
  t.alertStates,
  t.alertSettings,
  t.billingEvents,
  t.webhookEndpoints,
  t.webhookOutbox,
];

/** Tables a fresh database already holds rows in (the seeded rate card): replaced by the source's. */
const SEEDED = new Set(["rate_cards"]);
const BATCH = 200;

interface TableCopy {
  name: string;
  columns: string[];
  /** One row / a batch of rows, parameters @c{row}_{column}. */
  insertOne: Statement;
  insertBatch: Statement;
  count: Statement<number>;
}

function insertSql(name: string, columns: string[], rows: number): string {
  const values = Array.from({ length: rows }, (_, r) => `(${columns.map((_c, i) => `@c${r}_${i}`).join(", ")})`);
  return `INSERT INTO ${name} (${columns.join(", ")}) VALUES ${values.join(", ")}`;
}

const COPIES: TableCopy[] = TABLES.map((table) => {
  const name = getTableName(table);
  const columns = Object.values(getTableColumns(table)).map((c) => c.name);
  return {
    name,
    columns,
    insertOne: statement(`copy_insert_one_${name}`, insertSql(name, columns, 1)),
    insertBatch: statement(`copy_insert_batch_${name}`, insertSql(name, columns, BATCH)),
    count: statement(`copy_count_${name}`, `SELECT count(*) AS n FROM ${name}`, (row) => asNumber(row.n)),
  };
});

const clearSeeded = statement("copy_clear_rate_cards", "DELETE FROM rate_cards");
const totals = statement(
  "copy_totals",
  `SELECT (SELECT coalesce(sum(balance_micro_credits), 0) FROM wallets) AS balance,
          (SELECT coalesce(sum(held_micro_credits), 0) FROM wallets) AS held,
          (SELECT coalesce(sum(amount_micro_credits), 0) FROM credit_transactions) AS transactions,
          (SELECT coalesce(sum(cost_nano_usd), 0) FROM usage_events) AS cost,
          (SELECT coalesce(sum(charged_micro_credits), 0) FROM usage_events) AS charged`,
  (row) => ({
    balance: asBigInt(row.balance),
    held: asBigInt(row.held),
    transactions: asBigInt(row.transactions),
    cost: asBigInt(row.cost),
    charged: asBigInt(row.charged),
  }),
);

export interface CopyProgress {
  table: string;
  copied: number;
  total: number;
}

export interface CopyReport {
  tables: { table: string; rows: number }[];
  rows: number;
}

/** Rows of a table as they are stored, in rowid order, a page at a time (SQLite reads are synchronous). */
function* pages(source: SqliteLedger, copy: TableCopy): Generator<Row[]> {
  const read = source.sqlite.prepare(`SELECT rowid AS _rowid, ${copy.columns.join(", ")} FROM ${copy.name} WHERE rowid > ? ORDER BY rowid LIMIT 5000`);
  for (let after: unknown = -1n; ;) {
    const page = read.all(after) as Row[];
    if (page.length === 0) return;
    yield page;
    after = page.at(-1)!._rowid;
  }
}

function paramsOf(copy: TableCopy, rows: Row[]): Record<string, SqlValue> {
  const params: Record<string, SqlValue> = {};
  rows.forEach((row, r) => copy.columns.forEach((column, i) => (params[`c${r}_${i}`] = (row[column] ?? null) as SqlValue)));
  return params;
}

function* copyAll(source: SqliteLedger, onProgress: (progress: CopyProgress) => void): Script<CopyReport> {
  for (const copy of COPIES) {
    const rows = (yield* get(copy.count)) ?? 0;
    if (rows > 0 && !SEEDED.has(copy.name))
      throw new LedgerRefusal("conflict", `the target database is not empty: ${copy.name} has ${rows} row(s). Copy into an empty database.`);
  }
  yield* run(clearSeeded);
  const report: CopyReport = { tables: [], rows: 0 };
  for (const copy of COPIES) {
    const total = Number((source.sqlite.prepare(`SELECT count(*) AS n FROM ${copy.name}`).get() as { n: bigint }).n);
    let copied = 0;
    for (const page of pages(source, copy)) {
      let i = 0;
      for (; i + BATCH <= page.length; i += BATCH) yield* run(copy.insertBatch, paramsOf(copy, page.slice(i, i + BATCH)));
      for (; i < page.length; i++) yield* run(copy.insertOne, paramsOf(copy, [page[i]!]));
      copied += page.length;
      onProgress({ table: copy.name, copied, total });
    }
    report.tables.push({ table: copy.name, rows: copied });
    report.rows += copied;
  }
  return report;
}

/**
 * Copies the SQLite ledger into the (empty) PostgreSQL ledger and proves the
 * copy: invariants on both sides, equal row counts per table, equal balances,
 * holds, transaction and event sums.
 */
export async function copyLedger(
  source: SqliteLedger,
  target: PostgresLedger,
  onProgress: (progress: CopyProgress) => void = () => undefined,
): Promise<CopyReport> {
  const before = await source.checkInvariants();
  if (before.length) throw new LedgerRefusal("conflict", `the source ledger breaks its invariants, so it is not copied:\n  ${before.join("\n  ")}`);
  const report = await target.engine.write(() => copyAll(source, onProgress));
  const after = await target.checkInvariants();
  if (after.length) throw new LedgerRefusal("conflict", `the copy breaks the ledger's invariants:\n  ${after.join("\n  ")}`);
  for (const copy of COPIES) {
    const [from, to] = [await source.engine.read(() => get(copy.count)), await target.engine.read(() => get(copy.count))];
    if (from !== to) throw new LedgerRefusal("conflict", `the copy of ${copy.name} has ${to} row(s), the source ${from}`);
  }
  const [from, to] = [await source.engine.read(() => get(totals)), await target.engine.read(() => get(totals))];
  if (
    JSON.stringify(from, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) !==
    JSON.stringify(to, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))
  ) {
    throw new LedgerRefusal("conflict", "the copy's balances, holds or sums differ from the source's");
  }
  return report;
}
