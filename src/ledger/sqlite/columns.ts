/**
 * Column types of the SQLite schema: integers read back exactly (the
 * connection runs with safe integers, so values arrive as BigInt), and
 * accepting the decimal strings PostgreSQL sends for bigint too, since rows
 * from both stores are decoded with the SQLite schema.
 */
import { customType } from "drizzle-orm/sqlite-core";
import { FROM_DRIVER } from "../driver-values.js";

/** An integer amount of money, exact as BigInt. */
export const money = customType<{ data: bigint; driverData: bigint | number | string }>({
  dataType: () => "integer",
  fromDriver: FROM_DRIVER.money,
  toDriver: (value) => value,
});

/** A small integer (counts, tokens, epoch milliseconds) as a JS number. */
export const int = customType<{ data: number; driverData: bigint | number | string }>({
  dataType: () => "integer",
  fromDriver: FROM_DRIVER.int,
  toDriver: (value) => value,
});

/** A 0/1 integer flag. */
export const flag = customType<{ data: boolean; driverData: bigint | number | string }>({
  dataType: () => "integer",
  fromDriver: FROM_DRIVER.flag,
  toDriver: (value) => (value ? 1 : 0),
});
