/**
 * The store a test runs against. The suite runs twice: the `sqlite` project
 * with a ledger file per test, the `postgres` project with a database per
 * test on a real PostgreSQL server (ECN_TEST_DATABASE_URL, or the one the
 * suite started). Tests ask this module for a fresh ledger and read it back
 * through it, so one test body serves both stores.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, afterEach, expect } from "vitest";
import { openLedger, type LedgerTarget, type PostgresLedger, type SqliteLedger } from "../../src/ledger/index.js";
import { tempDir } from "./temp-ledger.js";

export type Store = "sqlite" | "postgres";
export const STORE: Store = process.env.ECN_TEST_STORE === "postgres" ? "postgres" : "sqlite";
export type TestLedger = SqliteLedger | PostgresLedger;

/** Where a fresh ledger lives, and the environment that points a server or the CLI at it. */
export interface FreshTarget {
  target: LedgerTarget;
  env: Record<string, string>;
  /** The SQLite file (empty for PostgreSQL). */
  dbPath: string;
}

let admin: pg.Pool | undefined;
const databases: string[] = [];
let counter = 0;

function serverUrl(): string {
  const url = process.env.ECN_TEST_DATABASE_URL;
  if (!url) throw new Error("the postgres test project needs ECN_TEST_DATABASE_URL (its global setup starts a server and sets it)");
  return url;
}

afterEach(async () => {
  while (databases.length) {
    const name = databases.pop()!;
    await admin!.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
  }
});

afterAll(async () => {
  await admin?.end();
  admin = undefined;
});

/** A new, empty ledger location: a file in a temp directory, or a new database on the test server. */
export async function freshTarget(): Promise<FreshTarget> {
  if (STORE === "sqlite") {
    const dbPath = join(tempDir(), "ecn.db");
    return { target: { dbPath }, env: { ECN_DB_PATH: dbPath }, dbPath };
  }
  admin ??= new pg.Pool({ connectionString: serverUrl(), max: 2 });
  const name = `ecn_t${process.pid}_${++counter}_${Date.now().toString(36)}`;
  await admin.query(`CREATE DATABASE "${name}"`);
  databases.push(name);
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  // Servers keep their outcome spools in a directory of the test's own, not in the user's data directory.
  const spoolDir = join(tempDir(), "spool");
  return { target: { databaseUrl: url.toString(), dbPath: "" }, env: { ECN_DATABASE_URL: url.toString(), ECN_SPOOL_DIR: spoolDir }, dbPath: "" };
}

/** Opens a ledger (migrating it) at a target; closed after the test. */
export async function openTestLedger(target: LedgerTarget): Promise<TestLedger> {
  const ledger = await openLedger(target);
  opened.push(ledger);
  return ledger;
}

const opened: TestLedger[] = [];
afterEach(async () => {
  while (opened.length) await opened.pop()!.close();
});

/** A fresh ledger, migrated with the real migrations. */
export async function tempLedger(): Promise<{ ledger: TestLedger } & FreshTarget> {
  const fresh = await freshTarget();
  return { ...fresh, ledger: await openTestLedger(fresh.target) };
}

/** PostgreSQL integer types: read back as BigInt, as SQLite (safe integers) gives them. */
const INTEGER_TYPES = new Set([20, 21, 23, 1700]);

/** Rows of a query on the ledger, integers as BigInt on both stores: for assertions. */
export async function sqlRows(ledger: TestLedger, text: string): Promise<Record<string, unknown>[]> {
  if (ledger.engine.dialect === "sqlite") return (ledger as SqliteLedger).sqlite.prepare(text).all() as Record<string, unknown>[];
  const result = await (ledger as PostgresLedger).engine.pool.query(text);
  const integers = result.fields.filter((f) => INTEGER_TYPES.has(f.dataTypeID)).map((f) => f.name);
  return (result.rows as Record<string, unknown>[]).map((row) => {
    for (const name of integers) if (row[name] !== null) row[name] = BigInt(row[name] as string | number);
    return row;
  });
}

/** Rows in a ledger table. */
export async function countRows(holder: { ledger: TestLedger }, table: string): Promise<bigint> {
  const [row] = await sqlRows(holder.ledger, `SELECT count(*) AS n FROM ${table}`);
  return row!.n as bigint;
}

/** Fails the test with every broken invariant. */
export async function assertInvariants(ledger: TestLedger): Promise<void> {
  const problems = await ledger.checkInvariants();
  expect(problems, "ledger invariants").toEqual([]);
}

/** Runs SQL that returns nothing (several statements allowed), for tests that write rows in bulk. */
export async function sqlExec(ledger: TestLedger, text: string): Promise<void> {
  if (ledger.engine.dialect === "sqlite") (ledger as SqliteLedger).sqlite.exec(text);
  else await (ledger as PostgresLedger).engine.pool.query(text);
}

/** Everything the store holds, as text: the ledger file's bytes (WAL checkpointed first), or every row of every table. */
export async function storedText(ledger: TestLedger, dbPath: string): Promise<string> {
  if (ledger.engine.dialect === "sqlite") {
    (ledger as SqliteLedger).sqlite.pragma("wal_checkpoint(TRUNCATE)");
    return readFileSync(dbPath).toString("latin1");
  }
  const pool = (ledger as PostgresLedger).engine.pool;
  const tables = await pool.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'");
  const dumps = await Promise.all(
    tables.rows.map(async ({ name }) =>
      (await pool.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM "${name}" t`)).rows.map((r) => String(r.row)).join("\n"),
    ),
  );
  return dumps.join("\n");
}
