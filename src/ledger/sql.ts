/**
 * Every query the ledger runs is written once, as a Statement: SQL with
 * `@name` parameters that both stores understand (or, where the dialects
 * differ, one text for each), a name under which it is prepared once per
 * connection, its parameters' kinds (see sql-params.ts: tsc checks every
 * call), and a decoder that turns a row into a record. The SQLite store
 * binds the names; the PostgreSQL store turns them into `$1, $2, ...`.
 */
import { fitsParam, sqlParamNames, type Params, type ParamSpec, type ParamsOf, type SpecFor, type SqlText, type SqlValue } from "./sql-params.js";

export { p, type Params, type ParamSpec, type SqlText, type SqlValue } from "./sql-params.js";
export type Dialect = "sqlite" | "postgres";
export type Row = Record<string, unknown>;

declare const paramsType: unique symbol;

export interface Statement<R = Row, P extends Params = Params> {
  /** Unique among statements: the prepared statement's name on a connection. */
  readonly name: string;
  readonly sql: string | Readonly<Record<Dialect, string>>;
  /** The kinds of its `@name` parameters, exactly the names its SQL uses. */
  readonly params: ParamSpec;
  /**
   * PostgreSQL: lock the rows read until the transaction ends. (SQLite needs
   * no row locks: a write transaction holds the whole database.)
   */
  readonly forUpdate: boolean;
  /** Safe to send twice (see idempotentStatement); only such a statement may run on its own, as Engine.writeOne. */
  readonly retryable: boolean;
  readonly decode: (row: Row) => R;
  /** Type only: the parameter values a script passes. */
  readonly [paramsType]?: P;
}

/** A statement that may be sent twice: see idempotentStatement. */
export interface RetryableStatement<R = Row, P extends Params = Params> extends Statement<R, P> {
  readonly retryable: true;
}

/** Any statement, whatever its rows and parameters (what an engine runs). */
export type AnyStatement = Statement<unknown>;

const declared = new Map<string, AnyStatement>();

/** Every statement declared so far, by name (those of the modules loaded): for tests that check them all. */
export const declaredStatements = (): ReadonlyMap<string, AnyStatement> => declared;

function declare<R>(name: string, sql: SqlText, params: ParamSpec, decode: (row: Row) => R, forUpdate: boolean, retryable: boolean): Statement<R> {
  if (declared.has(name)) throw new Error(`two ledger statements are named ${name}`);
  const texts = typeof sql === "string" ? [sql] : [sql.sqlite, sql.postgres];
  const used = new Set(texts.flatMap(sqlParamNames));
  const given = new Set(Object.keys(params));
  const undeclared = [...used].filter((n) => !given.has(n));
  const unused = [...given].filter((n) => !used.has(n));
  if (undeclared.length || unused.length) {
    throw new Error(
      `ledger statement ${name}: ${[...undeclared.map((n) => `@${n} is not declared`), ...unused.map((n) => `@${n} is not in its SQL`)].join(", ")}`,
    );
  }
  const statement = { name, sql, params, decode, forUpdate, retryable };
  declared.set(name, statement);
  return statement;
}

/**
 * Declares a statement; its name must be unique (it names a prepared
 * statement), and `params` must declare exactly the `@names` its SQL uses.
 */
export function statement<const S extends SqlText, const Spec extends ParamSpec, R = Row>(
  name: string,
  sql: S,
  params: Spec & SpecFor<S, Spec>,
  decode: (row: Row) => R = (row) => row as R,
  options: { forUpdate?: boolean } = {},
): Statement<R, ParamsOf<Spec>> {
  return declare(name, sql, params, decode, options.forUpdate ?? false, false) as Statement<R, ParamsOf<Spec>>;
}

/**
 * Declares a statement that is safe to send twice, the only kind a store
 * may run on its own (Engine.writeOne): PostgreSQL runs it without
 * BEGIN/COMMIT and sends it again when the connection is lost before the
 * answer arrives, when the first may or may not have been applied.
 *
 * The rule: applied a second time with the same parameters, right after the
 * first or after other writes, it changes nothing the first did not, and any
 * row count its caller reads comes out the same. So:
 *  - a conditional change whose condition also admits the state it leaves
 *    behind with these parameters (`WHERE state = 'held' OR (state =
 *    'dispatched' AND dispatched_at = @now)`: the resend counts the row too);
 *  - an upsert, or an update that sets values given in full;
 *  - a delete, or an append guarded by NOT EXISTS / ON CONFLICT DO NOTHING,
 *    whose count nobody reads (the second one counts 0).
 * Never an increment (`balance = balance + @amount`), an unguarded INSERT, or
 * a change computed from what it changes: those belong in a write script.
 */
export function idempotentStatement<const S extends SqlText, const Spec extends ParamSpec>(
  name: string,
  sql: S,
  params: Spec & SpecFor<S, Spec>,
): RetryableStatement<Row, ParamsOf<Spec>> {
  return declare(name, sql, params, (row) => row, false, true) as RetryableStatement<Row, ParamsOf<Spec>>;
}

export interface Compiled {
  text: string;
  /** Parameter names in the order the dialect binds them. */
  params: string[];
}

const compiled: Record<Dialect, WeakMap<AnyStatement, Compiled>> = { sqlite: new WeakMap(), postgres: new WeakMap() };

/** The statement's text for a dialect, compiled once. */
export function compile(statement: AnyStatement, dialect: Dialect): Compiled {
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

/** The values of a statement's parameters, in binding order; a missing one, or one of the wrong kind, is a bug, caught here. */
export function bind(statement: AnyStatement, compiledText: Compiled, params: Params): SqlValue[] {
  return compiledText.params.map((name) => {
    const value = params[name];
    if (value === undefined) throw new Error(`statement ${statement.name} needs parameter @${name}`);
    const kind = statement.params[name]!;
    if (!fitsParam(value, kind))
      throw new Error(`statement ${statement.name}: @${name} takes ${kind.kind}${kind.nullable ? " or null" : ""}, not ${typeof value}`);
    return value;
  });
}

/** Decoders for values that are not table columns (sums, counts): exact whatever the driver returns. */
export const asBigInt = (value: unknown): bigint => (value === null || value === undefined ? 0n : BigInt(value as bigint | number | string));
export const asNumber = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));
/** A text column that may be NULL. */
export const textOrNull = (value: unknown): string | null =>
  value === null || value === undefined ? null : typeof value === "string" ? value : JSON.stringify(value);
