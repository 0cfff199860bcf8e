/**
 * Every query the ledger runs is written once, as a Statement: SQL with
 * `@name` parameters that both stores understand (or, where the dialects
 * differ, one text for each), a name under which it is prepared once per
 * connection, and a decoder that turns a row into a record. The SQLite store
 * binds the names; the PostgreSQL store turns them into `$1, $2, ...`.
 */
export type Dialect = "sqlite" | "postgres";
export type SqlValue = string | number | bigint | null;
export type Params = Readonly<Record<string, SqlValue>>;
export type Row = Record<string, unknown>;

export interface Statement<R = Row> {
  /** Unique among statements: the prepared statement's name on a connection. */
  readonly name: string;
  readonly sql: string | Readonly<Record<Dialect, string>>;
  /**
   * PostgreSQL: lock the rows read until the transaction ends. (SQLite needs
   * no row locks: a write transaction holds the whole database.)
   */
  readonly forUpdate: boolean;
  readonly decode: (row: Row) => R;
}

const names = new Set<string>();

/** Declares a statement; its name must be unique (it names a prepared statement). */
export function statement<R = Row>(
  name: string,
  sql: Statement["sql"],
  decode: (row: Row) => R = (row) => row as R,
  options: { forUpdate?: boolean } = {},
): Statement<R> {
  if (names.has(name)) throw new Error(`two ledger statements are named ${name}`);
  names.add(name);
  return { name, sql, decode, forUpdate: options.forUpdate ?? false };
}

export interface Compiled {
  text: string;
  /** Parameter names in the order the dialect binds them. */
  params: string[];
}

const compiled: Record<Dialect, WeakMap<Statement<unknown>, Compiled>> = { sqlite: new WeakMap(), postgres: new WeakMap() };

/** The statement's text for a dialect, compiled once. */
export function compile(statement: Statement<unknown>, dialect: Dialect): Compiled {
  let done = compiled[dialect].get(statement);
  if (done) return done;
  const source = typeof statement.sql === "string" ? statement.sql : statement.sql[dialect];
  const params: string[] = [];
  let text = source.replace(/@([A-Za-z_]\w*)/g, (_match, name: string) => {
    if (dialect === "sqlite") {
      if (!params.includes(name)) params.push(name);
      return `@${name}`;
    }
    let index = params.indexOf(name);
    if (index < 0) index = params.push(name) - 1;
    return `$${index + 1}`;
  });
  if (statement.forUpdate && dialect === "postgres") text += " FOR UPDATE";
  done = { text, params };
  compiled[dialect].set(statement, done);
  return done;
}

/** The values of a statement's parameters, in binding order; a missing one is a bug, caught here. */
export function bind(statement: Statement<unknown>, compiledText: Compiled, params: Params): SqlValue[] {
  return compiledText.params.map((name) => {
    const value = params[name];
    if (value === undefined) throw new Error(`statement ${statement.name} needs parameter @${name}`);
    return value;
  });
}

/** Decoders for values that are not table columns (sums, counts): exact whatever the driver returns. */
export const asBigInt = (value: unknown): bigint => (value === null || value === undefined ? 0n : BigInt(value as bigint | number | string));
export const asNumber = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));
/** A text column that may be NULL. */
export const textOrNull = (value: unknown): string | null =>
  value === null || value === undefined ? null : typeof value === "string" ? value : JSON.stringify(value);
