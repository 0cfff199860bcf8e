/**
 * Evaluates parsed SoQL against the simulator's string-valued rows, with the
 * typing Socrata applies: columns have types, a string literal compared with a
 * number or timestamp column is converted (or refused as a type mismatch),
 * NULL makes comparisons unknown (three-valued logic), explicit `::` casts
 * convert (see soql-types.ts), and LIKE behaves as PostgreSQL's (`%` any
 * run, `_` one character, backslash escapes the next).
 */
import type { ColumnType } from "./socrata-data.js";
import { parseWhere, SoqlError, TokenReader, type SoqlExpr } from "./soql-parse.js";
import { canonicalTimestamp, castTo, cellValue, mismatch, type Compiled, type Row, type Value, type ValueType } from "./soql-types.js";

export { canonicalTimestamp } from "./soql-types.js";

type Columns = Record<string, ColumnType>;

/** Converts a string literal to the type it is compared with, as Socrata's implicit conversions do. */
function coerce(side: Compiled, to: ValueType, fn: string): Compiled {
  if (side.type === to || side.literal === undefined) return side;
  const text = side.literal;
  if (to === "number") {
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n)) throw mismatch(fn, "text");
    return { type: "number", eval: () => n };
  }
  if (to === "floating_timestamp") {
    const ts = canonicalTimestamp(text);
    if (ts === null) throw mismatch(fn, "text");
    return { type: "floating_timestamp", eval: () => ts };
  }
  return side;
}

const likeCache = new Map<string, RegExp>();
const REGEX_SYNTAX = /[\^$\\.*+?()[\]{}|/]/g;

/** PostgreSQL LIKE semantics (default escape character: backslash). */
export function likeRegExp(pattern: string): RegExp {
  const cached = likeCache.get(pattern);
  if (cached) return cached;
  let source = "";
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === "\\") {
      const escaped = chars[++i];
      if (escaped === undefined) throw new SoqlError("query.execution.error", "LIKE pattern must not end with escape character");
      source += escaped.replace(REGEX_SYNTAX, "\\$&");
    } else if (ch === "%") source += "[\\s\\S]*";
    else if (ch === "_") source += "[\\s\\S]";
    else source += ch.replace(REGEX_SYNTAX, "\\$&");
  }
  const regex = new RegExp(`^${source}$`, "u");
  if (likeCache.size > 500) likeCache.clear();
  likeCache.set(pattern, regex);
  return regex;
}

const and = (a: Value, b: Value): Value => (a === false || b === false ? false : a === null || b === null ? null : true);
const or = (a: Value, b: Value): Value => (a === true || b === true ? true : a === null || b === null ? null : false);

function compile(expr: SoqlExpr, columns: Columns): Compiled {
  switch (expr.kind) {
    case "column": {
      const type = columns[expr.name];
      if (!type) throw new SoqlError("query.soql.no-such-column", `No such column: ${expr.name}`, { column: expr.name });
      return { type, eval: (row) => cellValue(row[expr.name], type) };
    }
    case "string":
      return { type: "text", literal: expr.value, eval: () => expr.value };
    case "number":
      return { type: "number", eval: () => expr.value };
    case "boolean":
      return { type: "boolean", eval: () => expr.value };
    case "null":
      return { type: "null", eval: () => null };
    case "call": {
      if ((expr.fn !== "upper" && expr.fn !== "lower") || expr.args.length !== 1) {
        throw new SoqlError("query.soql.no-such-function", `No such function '${expr.fn}' taking ${expr.args.length} argument(s)`);
      }
      const arg = compile(expr.args[0]!, columns);
      if (arg.type !== "text" && arg.type !== "null") throw mismatch(expr.fn, arg.type);
      const convert = expr.fn === "upper" ? (s: string) => s.toUpperCase() : (s: string) => s.toLowerCase();
      const literal = arg.literal === undefined ? undefined : convert(arg.literal);
      return {
        type: "text",
        ...(literal === undefined ? {} : { literal }),
        eval: (row) => {
          const v = arg.eval(row);
          return v === null ? null : convert(String(v));
        },
      };
    }
    case "cast":
      return castTo(compile(expr.operand, columns), expr.to);
    case "compare": {
      const fn = `op$${expr.op}`;
      let left = compile(expr.left, columns);
      let right = compile(expr.right, columns);
      left = coerce(left, right.type, fn);
      right = coerce(right, left.type, fn);
      // The left argument picks the overloads (op$>=(text, text)...), so the right one is the misfit.
      if (left.type !== right.type && left.type !== "null" && right.type !== "null") throw mismatch(fn, right.type);
      return {
        type: "boolean",
        eval: (row) => {
          const a = left.eval(row);
          const b = right.eval(row);
          if (a === null || b === null) return null;
          switch (expr.op) {
            case "=":
              return a === b;
            case "!=":
              return a !== b;
            case "<":
              return a < b;
            case "<=":
              return a <= b;
            case ">":
              return a > b;
            case ">=":
              return a >= b;
          }
        },
      };
    }
    case "like": {
      const subject = compile(expr.subject, columns);
      const pattern = compile(expr.pattern, columns);
      for (const side of [subject, pattern])
        if (side.type !== "text" && side.type !== "null") throw mismatch(expr.negated ? "op$not_like" : "op$like", side.type);
      return {
        type: "boolean",
        eval: (row) => {
          const s = subject.eval(row);
          const p = pattern.eval(row);
          if (s === null || p === null) return null;
          const hit = likeRegExp(String(p)).test(String(s));
          return expr.negated ? !hit : hit;
        },
      };
    }
    case "isNull": {
      const subject = compile(expr.subject, columns);
      return { type: "boolean", eval: (row) => (subject.eval(row) === null) !== expr.negated };
    }
    case "and":
    case "or": {
      const left = boolean(compile(expr.left, columns), expr.kind);
      const right = boolean(compile(expr.right, columns), expr.kind);
      const combine = expr.kind === "and" ? and : or;
      return { type: "boolean", eval: (row) => combine(left.eval(row), right.eval(row)) };
    }
    case "not": {
      const operand = boolean(compile(expr.operand, columns), "not");
      return {
        type: "boolean",
        eval: (row) => {
          const v = operand.eval(row);
          return v === null ? null : !v;
        },
      };
    }
  }
}

function boolean(c: Compiled, where: string): Compiled {
  if (c.type !== "boolean" && c.type !== "null") throw mismatch(where === "$where" ? where : `op$${where}`, c.type);
  return c;
}

/** Compiles a `$where` into a row predicate (true only when the condition is TRUE, not NULL). */
export function compileWhere(source: string, columns: Columns): (row: Row) => boolean {
  const compiled = boolean(compile(parseWhere(source), columns), "$where");
  return (row) => compiled.eval(row) === true;
}

export interface Ordering {
  column: string;
  descending: boolean;
  nullsLast: boolean;
}

/** Parses `$order`: `col [ASC|DESC] [NULL[S] FIRST|LAST]`, comma-separated. */
export function parseOrder(source: string, columns: Columns): Ordering[] {
  const r = new TokenReader(source);
  const orderings: Ordering[] = [];
  do {
    const column = r.identifier();
    if (!columns[column]) throw new SoqlError("query.soql.no-such-column", `No such column: ${column}`, { column });
    const descending = r.accept("desc") ? true : (r.accept("asc"), false);
    let nullsLast = !descending;
    if (r.accept("null") || r.accept("nulls")) {
      if (r.accept("first")) nullsLast = false;
      else if (r.accept("last")) nullsLast = true;
      else r.fail("FIRST or LAST");
    }
    orderings.push({ column, descending, nullsLast });
  } while (r.accept(","));
  r.end();
  return orderings;
}

/** Sorts rows by the orderings (stable, so ties keep dataset order). */
export function sortRows(rows: Row[], orderings: Ordering[], columns: Columns): Row[] {
  return [...rows].sort((x, y) => {
    for (const o of orderings) {
      const a = cellValue(x[o.column], columns[o.column]!);
      const b = cellValue(y[o.column], columns[o.column]!);
      if (a === b) continue;
      if (a === null) return o.nullsLast ? 1 : -1;
      if (b === null) return o.nullsLast ? -1 : 1;
      const cmp = a < b ? -1 : 1;
      return o.descending ? -cmp : cmp;
    }
    return 0;
  });
}

/** Parses `$select` as a list of column names (or `*`). */
export function parseSelect(source: string, columns: Columns): string[] | null {
  if (source.trim() === "*") return null;
  const r = new TokenReader(source);
  const names: string[] = [];
  do {
    const name = r.identifier();
    if (!columns[name]) throw new SoqlError("query.soql.no-such-column", `No such column: ${name}`, { column: name });
    names.push(name);
  } while (r.accept(","));
  r.end();
  return names;
}
