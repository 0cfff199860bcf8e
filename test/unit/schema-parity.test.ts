/**
 * The two stores' schemas describe the same ledger: the same tables and
 * columns, each column of the corresponding type (mapped between the
 * dialects), nullability, defaults, keys and foreign keys, and the same
 * indexes on the same columns with the same partial-index conditions. One
 * copy of every query serves both stores only because of that.
 */
import { getTableColumns, getTableName, is, SQL, type Column, type Table } from "drizzle-orm";
import { getTableConfig as pgConfig, PgTable } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import * as pg from "../../src/ledger/postgres/schema.js";
import * as sqlite from "../../src/ledger/sqlite/schema.js";

/** SQL text of a condition or default as drizzle holds it, whitespace normalised. */
function sqlText(value: unknown): string {
  if (is(value, SQL)) {
    return value.queryChunks
      .map((chunk) => (typeof chunk === "object" && chunk !== null && "value" in chunk ? (chunk.value as string[]).join("") : sqlText(chunk)))
      .join("")
      .replace(/\s+/g, " ")
      .trim();
  }
  return String(value);
}

/**
 * The PostgreSQL type a SQLite column must have. SQLite stores every integer
 * alike; what the SQLite column decodes to says what it holds: money (BigInt)
 * is a bigint read as BigInt, a flag (boolean) a 0/1 integer, epoch
 * milliseconds (the columns named *_at, day, period_start) and durations in
 * milliseconds (*_ms: a task's TTL reaches 30 days) a bigint read as a
 * number, because they pass 32 bits; any other number (counts, tokens) an
 * integer.
 */
function pgTypeFor(column: Column): string {
  if (column.getSQLType() === "text") return "text:PgText";
  const decoded = typeof column.mapFromDriverValue(1);
  if (decoded === "bigint") return "bigint:PgBigInt64";
  if (decoded === "boolean") return "integer:PgInteger";
  return /_at$|_until$|_ms$|^day$|^period_start$/.test(column.name) ? "bigint:PgBigInt53" : "integer:PgInteger";
}

interface Shape {
  columns: Record<string, { type: string; notNull: boolean; primary: boolean; unique: boolean; default: string | null }>;
  primaryKey: string[];
  foreignKeys: string[];
  indexes: Record<string, { columns: string[]; unique: boolean; where: string | null }>;
}

type Config = ReturnType<typeof sqliteConfig> | ReturnType<typeof pgConfig>;

function shape(table: Table, config: Config, typeOf: (column: Column) => string, defaultOf: (column: Column) => unknown): Shape {
  const columns: Shape["columns"] = {};
  for (const column of Object.values(getTableColumns(table)) as Column[]) {
    columns[column.name] = {
      type: typeOf(column),
      notNull: column.notNull,
      primary: column.primary,
      unique: column.isUnique,
      default: column.hasDefault ? sqlText(defaultOf(column)) : null,
    };
  }
  const indexes: Shape["indexes"] = {};
  for (const index of config.indexes) {
    indexes[index.config.name!] = {
      columns: index.config.columns.map((c) => (c as Column).name),
      unique: index.config.unique ?? false,
      where: index.config.where ? sqlText(index.config.where) : null,
    };
  }
  return {
    columns,
    primaryKey: config.primaryKeys.flatMap((key) => key.columns.map((c) => c.name)),
    foreignKeys: config.foreignKeys
      .map((key) => {
        const ref = key.reference();
        return `${ref.columns.map((c) => c.name).join(",")} -> ${getTableName(ref.foreignTable)}(${ref.foreignColumns.map((c) => c.name).join(",")})`;
      })
      .sort(),
    indexes,
  };
}

const sqliteTables = Object.values(sqlite).filter((value) => is(value, SQLiteTable));
const pgTables = new Map(
  Object.values(pg)
    .filter((value) => is(value, PgTable))
    .map((table) => [getTableName(table), table]),
);

describe("the SQLite and PostgreSQL schemas", () => {
  it("have the same tables", () => {
    expect([...pgTables.keys()].sort()).toEqual(sqliteTables.map((t) => getTableName(t)).sort());
  });

  for (const table of sqliteTables) {
    const name = getTableName(table);
    it(`${name}: same columns and types, nullability, defaults, keys and indexes (columns and partial-index conditions)`, () => {
      const other = pgTables.get(name);
      if (!other) throw new Error(`no table ${name} in the PostgreSQL schema`);
      // A SQLite column's default is stored as its driver value (a flag's false is 0).
      const fromSqlite = shape(table, sqliteConfig(table), pgTypeFor, (c) => (is(c.default, SQL) ? c.default : c.mapToDriverValue(c.default)));
      const fromPg = shape(
        other,
        pgConfig(other),
        (c) => `${c.getSQLType()}:${c.columnType}`,
        (c) => c.default,
      );
      expect(fromPg).toEqual(fromSqlite);
    });
  }
});
