/**
 * Ledger operations are written once, as scripts: generators that yield the
 * statements they need run and receive the decoded results. A script is pure
 * logic; the store decides how its steps run. The SQLite store runs a script
 * synchronously inside its group commit; the PostgreSQL store runs it with
 * awaits inside a transaction (and can run it again after a serialization
 * failure). One copy of every check and every write, for both stores.
 *
 * Statements whose parameters do not depend on each other's results can be
 * yielded together (`together`, `closing`): PostgreSQL sends them in one
 * network flight instead of one round trip each, which matters most while a
 * transaction holds a busy row lock (an organisation's wallet).
 */
import type { AnyStatement, Params, Statement } from "./sql.js";

/** One statement to run, and what to return: its first row, all rows, or the count of rows it changed. */
export type Query<R = unknown> = { op: "get" | "all" | "run"; statement: AnyStatement; params: Params; __result?: R };
/**
 * Several statements run in order. `closing` ones are the transaction's last:
 * the store may send its COMMIT with them, so the script must return right
 * after (it can no longer roll back).
 */
export type Batch = { op: "batch"; queries: Query[]; closing: boolean };
export type Step = Query | Batch;
export type Script<T> = Generator<Step, T, unknown>;

/** The results of a batch of queries, in order. */
export type Results<Q extends readonly Query[]> = { -readonly [K in keyof Q]: Q[K] extends Query<infer R> ? R : never };

/**
 * A statement's parameter values, typed by the statement: optional only for a
 * statement without parameters. (NoInfer: the statement alone says what they
 * are, so an object with a misspelled or extra name does not compile.)
 */
export type ArgsOf<P extends Params> = object extends P ? [params?: NoInfer<P>] : [params: NoInfer<P>];

const query = <R>(op: Query["op"], statement: AnyStatement, params: Params | undefined): Query<R> => ({ op, statement, params: params ?? {} });

export const getQuery = <R, P extends Params>(statement: Statement<R, P>, ...[params]: ArgsOf<P>): Query<R | undefined> => query("get", statement, params);
export const allQuery = <R, P extends Params>(statement: Statement<R, P>, ...[params]: ArgsOf<P>): Query<R[]> => query("all", statement, params);
export const runQuery = <P extends Params>(statement: Statement<unknown, P>, ...[params]: ArgsOf<P>): Query<number> => query("run", statement, params);

/** The first row (decoded), or undefined. */
export function* get<R, P extends Params>(statement: Statement<R, P>, ...params: ArgsOf<P>): Script<R | undefined> {
  return (yield getQuery(statement, ...params)) as R | undefined;
}

/** Every row (decoded). */
export function* all<R, P extends Params>(statement: Statement<R, P>, ...params: ArgsOf<P>): Script<R[]> {
  return (yield allQuery(statement, ...params)) as R[];
}

/** Runs a statement that returns no rows; how many rows it changed. */
export function* run<P extends Params>(statement: Statement<unknown, P>, ...params: ArgsOf<P>): Script<number> {
  return (yield runQuery(statement, ...params)) as number;
}

/** Statements that do not depend on each other's results, run in order; their results in the same order. */
export function* together<const Q extends readonly Query[]>(...queries: Q): Script<Results<Q>> {
  return (yield { op: "batch", queries: [...queries], closing: false }) as Results<Q>;
}

/** The transaction's last statements (see Batch): the script must return right after them. */
export function* closing<const Q extends readonly Query[]>(...queries: Q): Script<Results<Q>> {
  return (yield { op: "batch", queries: [...queries], closing: true }) as Results<Q>;
}

/** A script made of nothing but a value (for operations that need no statement). */
// eslint-disable-next-line require-yield
export function* just<T>(value: T): Script<T> {
  return value;
}

/** Runs a script to its end, each step executed synchronously (a batch one statement after another). */
export function runSync<T>(script: Script<T>, execute: (query: Query) => unknown): T {
  let next = script.next();
  while (!next.done) {
    const step = next.value;
    next = script.next(step.op === "batch" ? step.queries.map(execute) : execute(step));
  }
  return next.value;
}

/** Runs a script to its end, each step awaited; a closing batch must be its last step. */
export async function runAsync<T>(script: Script<T>, execute: (step: Step) => Promise<unknown>): Promise<T> {
  let next = script.next();
  let closed = false;
  while (!next.done) {
    if (closed) throw new Error("a ledger script ran a statement after its closing batch");
    closed = next.value.op === "batch" && next.value.closing;
    next = script.next(await execute(next.value));
  }
  return next.value;
}
