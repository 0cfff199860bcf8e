/**
 * The two stores' schemas name the same tables, columns and indexes, with the
 * same nullability: one copy of every query serves both only because of that.
 */
import { getTableColumns, getTableName, type Table } from "drizzle-orm";
import { getTableConfig as pgConfig } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteConfig } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import * as pg from "../../src/ledger/postgres/schema.js";
import * as sqlite from "../../src/ledger/sqlite/schema.js";

type Shape = Record<string, { columns: Record<string, { notNull: boolean; primary: boolean }>; indexes: string[] }>;

function shape(schema: Record<string, unknown>, indexesOf: (table: never) => string[]): Shape {
  const out: Shape = {};
  for (const table of Object.values(schema) as Table[]) {
    const columns = Object.fromEntries(Object.values(getTableColumns(table)).map((c) => [c.name, { notNull: c.notNull, primary: c.primary }]));
    out[getTableName(table)] = { columns, indexes: indexesOf(table as never).sort() };
  }
  return out;
}

describe("the SQLite and PostgreSQL schemas", () => {
  it("have the same tables, columns, nullability, primary keys and indexes", () => {
    const sqliteShape = shape(sqlite, (t) => sqliteConfig(t).indexes.map((i) => i.config.name));
    const pgShape = shape(pg, (t) => pgConfig(t).indexes.map((i) => i.config.name!));
    expect(Object.keys(pgShape).sort()).toEqual(Object.keys(sqliteShape).sort());
    expect(pgShape).toEqual(sqliteShape);
  });
});
