/**
 * Values, types and conversions of the simulator's SoQL evaluator: how a
 * stored string reads as a column's type, Socrata's type-mismatch error, and
 * the explicit `::` casts. A cast is checked when the query is compiled (a
 * timestamp cannot become a number at all) but converts when it runs, so a
 * text value that is not a number fails the query only when a row holds one,
 * as the portal's database does.
 */
import type { ColumnType } from "./socrata-data.js";
import { SoqlError, type CastType } from "./soql-parse.js";

export type Value = string | number | boolean | null;
export type ValueType = ColumnType | "boolean" | "null";
export type Row = Record<string, string>;

export interface Compiled {
  type: ValueType;
  /** Set for a bare string literal, which Socrata converts to the type it is compared with. */
  literal?: string;
  eval(row: Row): Value;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/;
// What PostgreSQL's numeric input accepts (less NaN and Infinity, which no permit column holds).
const NUMBER_TEXT = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/** A floating timestamp in one comparable form (`YYYY-MM-DDTHH:MM:SS.mmm`), or null if it is not one. */
export function canonicalTimestamp(text: string): string | null {
  const m = TIMESTAMP.exec(text);
  if (!m) return null;
  const [, y, mo, d, h = "00", mi = "00", s = "00", ms = "0"] = m;
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 19) !== `${y}-${mo}-${d}T${h}:${mi}:${s}`) return null;
  return `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms.padEnd(3, "0")}`;
}

/** A stored cell read as its column's type; missing (Socrata's null) is null. */
export function cellValue(raw: string | undefined, type: ColumnType): Value {
  if (raw === undefined) return null;
  if (type === "number") {
    const n = Number(raw);
    return raw.trim() !== "" && Number.isFinite(n) ? n : null;
  }
  if (type === "floating_timestamp") return canonicalTimestamp(raw);
  return raw;
}

/**
 * Socrata's 400 for an argument no overload of `fn` accepts: it names the
 * function (`op$>=` for an operator) and the type of the first argument, read
 * left to right, that no overload fits, e.g. "Type mismatch for op$>=, is number".
 */
export function mismatch(fn: string, type: ValueType): SoqlError {
  return new SoqlError("query.soql.type-mismatch", `Type mismatch for ${fn}, is ${type}`, { function: fn, type });
}

function executionError(value: string, to: CastType): SoqlError {
  return new SoqlError("query.execution.error", `Cannot convert ${JSON.stringify(value)} to ${to}`, { value, type: to });
}

/** Converts one non-null value of type `from` to `to`; undefined when no such cast exists. */
function converter(from: ValueType, to: CastType): ((v: string | number | boolean) => Value) | undefined {
  if (from === to) return (v) => v;
  if (to === "text") {
    if (from === "number") return (v) => String(v);
    if (from === "floating_timestamp") return (v) => String(v);
    return undefined;
  }
  if (from !== "text") return undefined;
  if (to === "number") {
    return (v) => {
      const text = String(v);
      if (!NUMBER_TEXT.test(text)) throw executionError(text, to);
      return Number(text);
    };
  }
  return (v) =>
    canonicalTimestamp(String(v).trim()) ??
    (() => {
      throw executionError(String(v), to);
    })();
}

/** `operand::to`. The result is typed, never a bare literal, so it is not converted again implicitly. */
export function castTo(operand: Compiled, to: CastType): Compiled {
  if (operand.type === "null") return { type: to, eval: () => null };
  const convert = converter(operand.type, to);
  if (!convert) throw mismatch(`::${to}`, operand.type);
  if (operand.literal !== undefined) {
    // A constant is converted once, while the query is planned: a bad one fails even over no rows.
    const value = convert(operand.literal);
    return { type: to, eval: () => value };
  }
  return {
    type: to,
    eval: (row) => {
      const v = operand.eval(row);
      return v === null ? null : convert(v);
    },
  };
}
