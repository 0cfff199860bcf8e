/**
 * How a table's column list (see rows.ts) becomes a decoder: each column's
 * SQL name is its record key in snake case, and its kind says how a driver
 * value maps to the record's type. Written without drizzle-orm at run time
 * (types only), so opening a ledger does not load it.
 */
import type { InferSelectModel, Table } from "drizzle-orm";
import { FROM_DRIVER, type ColumnKind } from "./driver-values.js";
import type { Row } from "./sql.js";
import type * as t from "./sqlite/schema.js";

type KindOf<V> = [V] extends [bigint] ? "money" : [V] extends [number] ? "int" : [V] extends [boolean] ? "flag" : [V] extends [string] ? "text" : never;

/** Every column of a table's record with the mapping its type needs. */
export type ColumnKinds<R> = { readonly [K in keyof R]-?: KindOf<NonNullable<R[K]>> };

/** The record drizzle infers for the schema's table exported under this name. */
export type Rec<T extends keyof typeof t> = (typeof t)[T] extends infer Tbl extends Table ? InferSelectModel<Tbl> : never;

/** A column's SQL name: its record key in snake case (the schema's convention, checked by a test). */
export const sqlName = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Turns a row (SQL column names, driver values) into the table's record. */
export function decoder<R>(kinds: ColumnKinds<R>): (row: Row) => R {
  const columns = Object.entries<ColumnKind>(kinds as Record<string, ColumnKind>).map(([key, kind]) => ({
    key,
    name: sqlName(key),
    decode: FROM_DRIVER[kind] as (value: unknown) => unknown,
  }));
  return (row) => {
    const out: Record<string, unknown> = {};
    for (const { key, name, decode } of columns) {
      const value = row[name];
      out[key] = value === null || value === undefined ? null : decode(value);
    }
    return out as R;
  };
}
