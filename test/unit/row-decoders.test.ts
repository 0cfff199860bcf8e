/**
 * The ledger's row decoders are written without drizzle (opening a ledger
 * must not load it), so they are checked against the schema here: tsc checks
 * each table's column keys and kinds against its record type; this checks
 * each column's SQL name and that it maps a driver value exactly as the
 * schema's column type does.
 */
import { getTableColumns, type Table } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { FROM_DRIVER } from "../../src/ledger/driver-values.js";
import { sqlName, TABLE_COLUMNS } from "../../src/ledger/rows.js";
import * as schema from "../../src/ledger/sqlite/schema.js";

/** What either store may send for a column: SQLite's BigInt and PostgreSQL's strings and numbers. */
const DRIVER_VALUES: unknown[] = [0n, 1n, 2n, 9007199254740993n, "0", "1", "42", "9007199254740993", 0, 1, 7, "text"];

describe("the ledger's row decoders", () => {
  it.each(Object.keys(TABLE_COLUMNS))("decode every column of %s under its SQL name, as the schema maps it", (name) => {
    const table = (schema as Record<string, unknown>)[name] as Table;
    const kinds = TABLE_COLUMNS[name as keyof typeof TABLE_COLUMNS] as Record<string, keyof typeof FROM_DRIVER>;
    const columns = getTableColumns(table);
    expect(Object.keys(kinds).sort()).toEqual(Object.keys(columns).sort());
    for (const [key, column] of Object.entries(columns)) {
      expect(sqlName(key), `${name}.${key}`).toBe(column.name);
      const decode = FROM_DRIVER[kinds[key]!] as (value: unknown) => unknown;
      for (const value of DRIVER_VALUES) {
        let expected: unknown;
        try {
          expected = column.mapFromDriverValue(value);
        } catch {
          continue; // a value the column type refuses ("text" as money) never reaches it
        }
        expect(decode(value), `${name}.${key} from ${String(value)}`).toEqual(expected);
      }
    }
  });
});
