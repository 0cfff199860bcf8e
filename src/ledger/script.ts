/**
 * Ledger operations are written once, as scripts: generators that yield the
 * statements they need run and receive the decoded results. A script is pure
 * logic; the store decides how its steps run. The SQLite store runs a script
 * synchronously inside its group commit; the PostgreSQL store runs it with
 * awaits inside a transaction (and can run it again after a serialization
 * failure). One copy of every check and every write, for both stores.
 */
import type { Params, Statement } from "./sql.js";

export type Step = { op: "get" | "all" | "run"; statement: Statement<unknown>; params: Params };
export type Script<T> = Generator<Step, T, unknown>;

/** The first row (decoded), or undefined. */
export function* get<R>(statement: Statement<R>, params: Params = {}): Script<R | undefined> {
  return (yield { op: "get", statement, params }) as R | undefined;
}

/** Every row (decoded). */
export function* all<R>(statement: Statement<R>, params: Params = {}): Script<R[]> {
  return (yield { op: "all", statement, params }) as R[];
}

/** Runs a statement that returns no rows; how many rows it changed. */
export function* run(statement: Statement<unknown>, params: Params = {}): Script<number> {
  return (yield { op: "run", statement, params }) as number;
}

/** A script made of nothing but a value (for operations that need no statement). */
// eslint-disable-next-line require-yield
export function* just<T>(value: T): Script<T> {
  return value;
}

/** Runs a script to its end, each step executed synchronously. */
export function runSync<T>(script: Script<T>, execute: (step: Step) => unknown): T {
  let next = script.next();
  while (!next.done) next = script.next(execute(next.value));
  return next.value;
}

/** Runs a script to its end, each step awaited. */
export async function runAsync<T>(script: Script<T>, execute: (step: Step) => Promise<unknown>): Promise<T> {
  let next = script.next();
  while (!next.done) next = script.next(await execute(next.value));
  return next.value;
}
