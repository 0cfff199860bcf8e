import { describe, expect, it } from "vitest";
import type { ColumnType } from "../../src/simulator/socrata-data.js";
import { compileWhere } from "../../src/simulator/soql-eval.js";
import { parseWhere, SoqlError } from "../../src/simulator/soql-parse.js";

const COLUMNS: Record<string, ColumnType> = { cost: "text", valuation: "number", issued: "floating_timestamp", kind: "text" };

function soqlError(fn: () => unknown): SoqlError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SoqlError);
    return error as SoqlError;
  }
  throw new Error("expected a SoqlError");
}

const where = (source: string) => compileWhere(source, COLUMNS);

describe("SoQL casts: parsing", () => {
  it("parses ::type as a postfix that binds tighter than comparison, NOT and LIKE", () => {
    const cost = { kind: "cast", to: "number", operand: { kind: "column", name: "cost" } };
    expect(parseWhere("cost::number >= 1000")).toEqual({ kind: "compare", op: ">=", left: cost, right: { kind: "number", value: 1000, text: "1000" } });
    expect(parseWhere("NOT cost::number > 1")).toEqual({
      kind: "not",
      operand: { kind: "compare", op: ">", left: cost, right: { kind: "number", value: 1, text: "1" } },
    });
    expect(parseWhere("1000 <= cost :: NUMBER")).toMatchObject({ kind: "compare", op: "<=", right: cost });
    expect(parseWhere("issued::text like '2024-%'")).toMatchObject({
      kind: "like",
      subject: { kind: "cast", to: "text", operand: { kind: "column", name: "issued" } },
    });
  });

  it("applies to literals, calls and parenthesised expressions, and chains left to right", () => {
    expect(parseWhere("'5'::text::number = 5")).toMatchObject({
      left: { kind: "cast", to: "number", operand: { kind: "cast", to: "text", operand: { kind: "string", value: "5" } } },
    });
    expect(parseWhere("upper(kind)::text = 'X'")).toMatchObject({ left: { kind: "cast", operand: { kind: "call", fn: "upper" } } });
    expect(parseWhere("(cost)::number = 5")).toMatchObject({ left: { kind: "cast", operand: { kind: "column", name: "cost" } } });
    expect(parseWhere("1000::text = '1000'")).toMatchObject({ left: { kind: "cast", to: "text", operand: { kind: "number", value: 1000 } } });
  });

  it("refuses an unknown type, a missing type and a single colon", () => {
    expect(soqlError(() => parseWhere("cost::money > 1"))).toMatchObject({ code: "query.soql.no-such-function" });
    expect(soqlError(() => parseWhere("cost:: > 1"))).toMatchObject({ code: "query.compiler.malformed" });
    expect(soqlError(() => parseWhere("cost:number > 1"))).toMatchObject({ code: "query.compiler.malformed" });
  });
});

describe("SoQL casts: evaluation", () => {
  it("compares a text cost only through ::number; without it the query is a type mismatch", () => {
    const error = soqlError(() => where("cost >= 1000"));
    expect(error.code).toBe("query.soql.type-mismatch");
    expect(error.message).toBe("Type mismatch for op$>=, is number");
    expect(error.data).toEqual({ function: "op$>=", type: "number" });
    const atLeast = where("cost::number >= 1000");
    expect(atLeast({ cost: "25000" })).toBe(true);
    expect(atLeast({ cost: "999.99" })).toBe(false);
    // Numerically, not as text: "9000" > "10000" as strings.
    expect(where("cost::number > 9500")({ cost: "10000" })).toBe(true);
    expect(where("cost > '9500'")({ cost: "10000" })).toBe(false);
    expect(atLeast({})).toBe(false);
    expect(where("cost::number is null")({})).toBe(true);
  });

  it("leaves a number column a number, so the same cast works on either type", () => {
    expect(where("valuation::number >= 1000")({ valuation: "1200.5" })).toBe(true);
    expect(where("valuation >= 1000")({ valuation: "999" })).toBe(false);
  });

  it("fails at execution, as a 400 query.execution.error, when a text value is not a number", () => {
    const atLeast = where("cost::number >= 1000");
    for (const bad of ["$1,200", "n/a", "", "12abc"]) {
      expect(soqlError(() => atLeast({ cost: bad }))).toMatchObject({ code: "query.execution.error", data: { value: bad, type: "number" } });
    }
    expect(atLeast({ cost: " 1500 " })).toBe(true);
    expect(atLeast({ cost: "1.5e3" })).toBe(true);
    // A constant is converted while the query is planned: it fails even before any row is read.
    expect(soqlError(() => where("'abc'::number = 1"))).toMatchObject({ code: "query.execution.error" });
  });

  it("converts text to and from floating timestamps and numbers to text", () => {
    expect(where("'2024-03-05'::floating_timestamp = issued")({ issued: "2024-03-05T00:00:00.000" })).toBe(true);
    expect(where("kind::floating_timestamp >= '2024-01-01T00:00:00'")({ kind: "2024-06-01T12:00:00" })).toBe(true);
    expect(soqlError(() => where("kind::floating_timestamp >= '2024-01-01'")({ kind: "06/17/2020" }))).toMatchObject({ code: "query.execution.error" });
    expect(where("issued::text = '2024-03-05T00:00:00.000'")({ issued: "2024-03-05T00:00:00.000" })).toBe(true);
    expect(where("valuation::text = '1200.5'")({ valuation: "1200.5" })).toBe(true);
    expect(where("null::number is null")({})).toBe(true);
  });

  it("refuses casts that do not exist and typed results compared with the wrong type", () => {
    expect(soqlError(() => where("issued::number > 1"))).toMatchObject({
      code: "query.soql.type-mismatch",
      data: { function: "::number", type: "floating_timestamp" },
    });
    expect(soqlError(() => where("valuation::floating_timestamp > '2024-01-01'"))).toMatchObject({ code: "query.soql.type-mismatch" });
    // An explicit ::text is typed text, no longer a literal Socrata would convert implicitly.
    expect(soqlError(() => where("valuation = '5'::text"))).toMatchObject({ code: "query.soql.type-mismatch", message: "Type mismatch for op$=, is text" });
    expect(where("valuation = '5'")({ valuation: "5" })).toBe(true);
  });
});
