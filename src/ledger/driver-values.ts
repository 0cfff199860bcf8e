/**
 * How a column's driver value becomes a record's value: text as it comes,
 * money as an exact BigInt, small integers (counts, tokens, epoch
 * milliseconds) as numbers, 0/1 flags as booleans. Each accepts what either
 * store sends: SQLite's BigInt (the connection runs with safe integers) and
 * PostgreSQL's decimal strings for bigint. The schema's column types and the
 * row decoders share these, so a row reads the same through both.
 */
export const FROM_DRIVER = {
  text: (value: unknown): unknown => value,
  money: (value: bigint | number | string): bigint => BigInt(value),
  int: (value: bigint | number | string): number => Number(value),
  flag: (value: bigint | number | string): boolean => Number(value) === 1,
} as const;

export type ColumnKind = keyof typeof FROM_DRIVER;
