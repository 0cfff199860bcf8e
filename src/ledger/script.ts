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
import type { Params, Statement } from "./sql.js";

/** One statement to run, and what to return: its first row, all rows, or the count of rows it changed. */
export type Query<R = unknown> = { op: "get" | "all" | "run"; statement: Statement<unknown>; params: Params; __result?: R };
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

export const getQuery = <R>(statement: Statement<R>, params: Params = {}): Query<R | undefined> => ({ op: "get", statement, params });
export const allQuery = <R>(statement: Statement<R>, params: Params = {}): Query<R[]> => ({ op: "all", statement, params });
export const runQuery = (statement: Statement<unknown>, params: Params = {}): Query<number> => ({ op: "run", statement, params });

/** The first row (decoded), or undefined. */
export function* get<R>(statement: Statement<R>, params: Params = {}): Script<R | undefined> {
  return (yield getQuery(statement, params)) as R | undefined;
}

/** Every row (decoded). */
export function* all<R>(statement: Statement<R>, params: Params = {}): Script<R[]> {
  return (yield allQuery(statement, params)) as R[];
}

/** Runs a statement that returns no rows; how many rows it changed. */
export function* run(statement: Statement<unknown>, params: Params = {}): Script<number> {
  return (yield runQuery(statement, params)) as number;
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
