import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EcnError } from "../../src/errors.js";
import { PERMIT_CITIES, PERMIT_DATASETS, PERMIT_FILTERS, type PermitCity, type PermitFilters } from "../../src/providers/permits.js";
import { buildPermitQuery, likeContainsPattern, quoteSoql, soqlNumber } from "../../src/providers/soql.js";
import { SIM_DATASETS } from "../../src/simulator/socrata-data.js";
import { compileWhere } from "../../src/simulator/soql-eval.js";
import { parseWhere, tokenize, type SoqlExpr } from "../../src/simulator/soql-parse.js";

const HOSTILE = [
  "'",
  "''",
  "' OR 1=1 --",
  "' OR '1'='1",
  "x') OR ('a'='a",
  ") OR (",
  "%",
  "_",
  "%' OR permit_type like '%",
  "\\",
  "\\'",
  "abc\\",
  "a\nb' OR 1=1\n--",
  "*/ OR /*",
  "NEW CONSTRUCTION' AND issue_date > '2000-01-01",
  "é😀\u202e' OR 1=1 --",
  '"; DROP TABLE permits; --',
];

/** Strings a user might type, biased towards the characters that matter to SoQL and LIKE. */
const userText = fc
  .oneof(
    fc.string({ unit: "binary", maxLength: 60 }),
    fc.string({ unit: fc.constantFrom("'", "%", "_", "\\", "-", "(", ")", " ", "\n", "*", "/", "OR", "1=1", "--", "é", "😀", "a", "Z"), maxLength: 30 }),
    fc.constantFrom(...HOSTILE),
  )
  .filter((s) => !s.includes("\u0000"));

const city = fc.constantFrom(...PERMIT_CITIES);
const day = fc
  .date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2027-12-31T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const cols = (c: PermitCity) => PERMIT_DATASETS[c].columns;
const simColumns = (c: PermitCity) => SIM_DATASETS[PERMIT_DATASETS[c].datasetId]!.columns;

function conjuncts(expr: SoqlExpr): SoqlExpr[] {
  return expr.kind === "and" ? [...conjuncts(expr.left), ...conjuncts(expr.right)] : [expr];
}

const typeContains = (column: string, value: string): SoqlExpr => ({
  kind: "like",
  negated: false,
  subject: { kind: "call", fn: "upper", args: [{ kind: "column", name: column }] },
  pattern: { kind: "call", fn: "upper", args: [{ kind: "string", value: likeContainsPattern(value) }] },
});

const unescapeLike = (pattern: string) => pattern.slice(1, -1).replace(/\\([\s\S])/g, "$1");

function invalid(fn: () => unknown, text?: RegExp) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(EcnError);
    expect((error as EcnError).code).toBe("invalid_input");
    if (text) expect((error as EcnError).message).toMatch(text);
    return;
  }
  throw new Error("expected invalid_input");
}

describe("quoteSoql", () => {
  it("always lexes as exactly one string literal holding the original value", () => {
    fc.assert(
      fc.property(userText, (value) => {
        const tokens = tokenize(quoteSoql(value));
        expect(tokens).toHaveLength(2);
        expect(tokens[0]).toMatchObject({ type: "string", value });
        expect(tokens[1]!.type).toBe("eof");
      }),
      { numRuns: 1000 },
    );
  });

  it("doubles single quotes and leaves everything else alone", () => {
    expect(quoteSoql("O'Hare")).toBe("'O''Hare'");
    expect(quoteSoql("a\\b\n%_")).toBe("'a\\b\n%_'");
  });
});

describe("buildPermitQuery: permit_type", () => {
  it("puts any permit_type into one LIKE literal on the type column, never into the query's structure", () => {
    fc.assert(
      fc.property(city, userText, (c, value) => {
        const params = buildPermitQuery(PERMIT_DATASETS[c], { permit_type: value, limit: 10 });
        const where = params.get("$where");
        if (value.trim() === "") {
          expect(where).toBeNull();
          return;
        }
        expect(parseWhere(where!)).toEqual(typeContains(cols(c).type, value));
        // The literal is the value itself, escaped only for LIKE, and survives the URL intact.
        expect(unescapeLike(likeContainsPattern(value))).toBe(value);
        expect(new URLSearchParams(params.toString()).get("$where")).toBe(where);
      }),
      { numRuns: 1500 },
    );
  });

  it("matches exactly the values that contain it (case-insensitively, % and _ literally)", () => {
    fc.assert(
      fc.property(city, userText, userText, userText, userText, (c, value, before, after, other) => {
        fc.pre(value.trim() !== "");
        const where = buildPermitQuery(PERMIT_DATASETS[c], { permit_type: value, limit: 10 }).get("$where")!;
        const matches = compileWhere(where, simColumns(c));
        const column = cols(c).type;
        expect(matches({ [column]: before + value + after })).toBe(true);
        expect(matches({})).toBe(false);
        const contains = other.toUpperCase().includes(value.toUpperCase());
        expect(matches({ [column]: other })).toBe(contains);
      }),
      { numRuns: 1000 },
    );
  });

  it("keeps % and _ literal", () => {
    const columns = simColumns("chicago");
    const matches = (value: string, type: string) =>
      compileWhere(buildPermitQuery(PERMIT_DATASETS.chicago, { permit_type: value, limit: 1 }).get("$where")!, columns)({ permit_type: type });
    expect(matches("%", "PERMIT - SIGNS")).toBe(false);
    expect(matches("_", "PERMIT - SIGNS")).toBe(false);
    expect(matches("100%", "ROOF 100% TEAR-OFF")).toBe(true);
    expect(matches("A_B", "AXB")).toBe(false);
    expect(matches("a_b", "x A_B y")).toBe(true);
    expect(matches("c:\\", "C:\\TEMP")).toBe(true);
  });

  it.each(HOSTILE)("hostile value %j stays one literal", (value) => {
    for (const c of PERMIT_CITIES) {
      const where = buildPermitQuery(PERMIT_DATASETS[c], { permit_type: value, limit: 5 }).get("$where")!;
      expect(parseWhere(where)).toEqual(typeContains(cols(c).type, value));
    }
  });
});

describe("buildPermitQuery: all filters", () => {
  const filters = fc.record(
    {
      issued_since: day,
      issued_until: day,
      permit_type: userText,
      min_cost: fc.oneof(fc.integer({ min: 0, max: 10_000_000 }), fc.double({ min: 0, max: 1e12, noNaN: true })),
      text: userText,
      limit: fc.integer({ min: 1, max: 1000 }),
    },
    { requiredKeys: ["limit"] },
  );

  it("builds $where from the dataset's columns and quoted literals only, free text only in $q", () => {
    fc.assert(
      fc.property(city, filters, (c, f: PermitFilters) => {
        if (f.issued_since && f.issued_until && f.issued_until < f.issued_since) [f.issued_since, f.issued_until] = [f.issued_until, f.issued_since];
        const params = buildPermitQuery(PERMIT_DATASETS[c], f);
        const { issuedDate, type, cost } = cols(c);
        const expected: SoqlExpr[] = [];
        if (f.issued_since)
          expected.push({
            kind: "compare",
            op: ">=",
            left: { kind: "column", name: issuedDate },
            right: { kind: "string", value: `${f.issued_since}T00:00:00` },
          });
        if (f.issued_until) {
          const next = new Date(Date.parse(`${f.issued_until}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
          expected.push({ kind: "compare", op: "<", left: { kind: "column", name: issuedDate }, right: { kind: "string", value: `${next}T00:00:00` } });
        }
        if (f.permit_type !== undefined && f.permit_type.trim() !== "") expected.push(typeContains(type, f.permit_type));
        if (f.min_cost !== undefined) {
          const written = soqlNumber(f.min_cost);
          // Read through ::number whatever the column's type, so a text cost column is no 400.
          const left: SoqlExpr = { kind: "cast", to: "number", operand: { kind: "column", name: cost! } };
          expected.push({ kind: "compare", op: ">=", left, right: { kind: "number", value: Number(written), text: written } });
        }
        const where = params.get("$where");
        expect(where === null ? [] : conjuncts(parseWhere(where))).toEqual(expected);
        expect(params.get("$q")).toBe(f.text !== undefined && f.text.trim() !== "" ? f.text : null);
        expect(params.get("$order")).toBe(`${issuedDate} DESC NULL LAST`);
        expect(params.get("$limit")).toBe(String(f.limit));
        expect([...params.keys()].every((k) => ["$where", "$q", "$order", "$limit"].includes(k))).toBe(true);
        // Every identifier in $where is one of the dataset's declared columns (or upper/like/AND).
        const allowed = new Set([issuedDate, type, cost, "upper", "like", "number", "AND"]);
        for (const token of where ? tokenize(where) : []) if (token.type === "ident") expect(allowed.has(token.text)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it("makes issued_until inclusive by comparing with the next midnight", () => {
    const where = buildPermitQuery(PERMIT_DATASETS.austin, { issued_since: "2024-02-01", issued_until: "2024-02-29", limit: 5 }).get("$where");
    expect(where).toBe("issue_date >= '2024-02-01T00:00:00' AND issue_date < '2024-03-01T00:00:00'");
    const sameDay = buildPermitQuery(PERMIT_DATASETS.chicago, { issued_since: "2025-12-31", issued_until: "2025-12-31", limit: 5 }).get("$where");
    expect(sameDay).toBe("issue_date >= '2025-12-31T00:00:00' AND issue_date < '2026-01-01T00:00:00'");
  });

  it.each(["2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10", "24-01-01", "2024-1-1", "2024-01-01T00:00:00", "2024-01-01' OR '1'='1", "", " 2024-01-01"])(
    "refuses the date %j",
    (bad) => {
      invalid(() => buildPermitQuery(PERMIT_DATASETS.chicago, { issued_since: bad, limit: 5 }), /issued_since/);
      invalid(() => buildPermitQuery(PERMIT_DATASETS.chicago, { issued_until: bad, limit: 5 }), /issued_until/);
    },
  );

  it("refuses issued_until before issued_since", () => {
    invalid(() => buildPermitQuery(PERMIT_DATASETS.san_francisco, { issued_since: "2024-05-02", issued_until: "2024-05-01", limit: 5 }), /before/);
  });

  it("writes min_cost as plain, non-negative decimal text and refuses anything else", () => {
    expect(soqlNumber(0)).toBe("0");
    expect(soqlNumber(1500.5)).toBe("1500.5");
    expect(soqlNumber(1e-7)).toBe("0.0000001");
    expect(soqlNumber(250_000_000_000)).toBe("250000000000");
    for (const bad of [-1, -0.01, Number.NaN, Number.POSITIVE_INFINITY, 1e13]) {
      invalid(() => buildPermitQuery(PERMIT_DATASETS.chicago, { min_cost: bad, limit: 5 }), /min_cost/);
    }
    invalid(() => buildPermitQuery(PERMIT_DATASETS.chicago, { min_cost: "5 OR 1=1" as unknown as number, limit: 5 }), /min_cost/);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e12, noNaN: true }), (n) => {
        const text = soqlNumber(n);
        expect(text).toMatch(/^\d+(\.\d+)?$/);
        expect(Math.abs(Number(text) - n)).toBeLessThanOrEqual(n >= 1e-6 ? 0 : 1e-20);
      }),
      { numRuns: 1000 },
    );
  });

  it("reads every city's cost through ::number, New York's included", () => {
    for (const c of PERMIT_CITIES) {
      expect(buildPermitQuery(PERMIT_DATASETS[c], { min_cost: 1000, limit: 5 }).get("$where")).toBe(`${cols(c).cost}::number >= 1000`);
    }
    expect(cols("new_york").cost).toBe("estimated_job_costs");
  });

  it("refuses a filter the dataset does not list, whatever its value, instead of ignoring it", () => {
    const noCost = { ...PERMIT_DATASETS.chicago, filters: ["issued_since", "issued_until", "permit_type", "text"] as const };
    invalid(() => buildPermitQuery(noCost, { min_cost: 1000, limit: 5 }), /^min_cost cannot be applied to chicago.*leave min_cost out/);
    invalid(() => buildPermitQuery(noCost, { min_cost: -1, limit: 5 }), /min_cost cannot be applied/);
    expect(buildPermitQuery(noCost, { issued_since: "2024-01-01", limit: 5 }).get("$where")).toBe("issue_date >= '2024-01-01T00:00:00'");
    const textOnly = { ...PERMIT_DATASETS.austin, filters: ["text"] as const };
    for (const f of [{ issued_since: "2024-01-01" }, { issued_until: "2024-01-01" }, { permit_type: "x" }]) {
      invalid(() => buildPermitQuery(textOnly, { ...f, limit: 5 }), new RegExp(`^${Object.keys(f)[0]} cannot be applied to austin`));
    }
  });

  it("compares and orders by date only on a column the dataset declares a floating timestamp", () => {
    // A date kept as text (New York's legacy feed) would compare as text: 200 with the wrong rows.
    const textDates = { ...PERMIT_DATASETS.new_york, columns: { ...cols("new_york"), issuedDateType: "text" as const } };
    expect(() => buildPermitQuery(textDates, { limit: 5 })).toThrow(/not a floating timestamp/);
    const honest = { ...textDates, filters: ["permit_type", "min_cost", "text"] as const };
    expect(buildPermitQuery(honest, { limit: 5 }).get("$order")).toBeNull();
    invalid(() => buildPermitQuery(honest, { issued_since: "2024-01-01", limit: 5 }), /issued_since cannot be applied/);
    for (const c of PERMIT_CITIES) expect(buildPermitQuery(PERMIT_DATASETS[c], { limit: 5 }).get("$order")).toBe(`${cols(c).issuedDate} DESC NULL LAST`);
  });

  it("declares the same column types as the portal (the simulator uses the portals' types)", () => {
    for (const c of PERMIT_CITIES) {
      const { columns, filters } = PERMIT_DATASETS[c];
      const sim = simColumns(c);
      for (const name of [
        columns.permitNumber,
        columns.type,
        columns.status,
        columns.issuedDate,
        columns.cost,
        columns.description,
        ...columns.address,
        columns.locality,
      ]) {
        if (name) expect(sim[name], `${c}.${name}`).toBeDefined();
      }
      expect(sim[columns.issuedDate]).toBe(columns.issuedDateType);
      if (columns.costType !== "unconfirmed" && columns.cost) expect(sim[columns.cost]).toBe(columns.costType);
      expect([...filters].sort()).toEqual([...PERMIT_FILTERS].sort());
    }
    expect(PERMIT_DATASETS.new_york.datasetId).toBe("rbx6-tga4");
  });

  it("refuses a limit outside 1..1000 and text that cannot be sent", () => {
    for (const limit of [0, -1, 1001, 2.5, Number.NaN]) invalid(() => buildPermitQuery(PERMIT_DATASETS.chicago, { limit }), /limit/);
    invalid(() => buildPermitQuery(PERMIT_DATASETS.chicago, { permit_type: "a\u0000b", limit: 5 }), /permit_type/);
    invalid(() => buildPermitQuery(PERMIT_DATASETS.chicago, { text: "x\uD800y", limit: 5 }), /text/);
    invalid(() => buildPermitQuery(PERMIT_DATASETS.chicago, { text: "x".repeat(201), limit: 5 }), /text/);
    expect(buildPermitQuery(PERMIT_DATASETS.chicago, { text: "😀 ok", limit: 5 }).get("$q")).toBe("😀 ok");
  });

  it("sends free text only as $q", () => {
    for (const value of HOSTILE) {
      const params = buildPermitQuery(PERMIT_DATASETS.austin, { text: value, limit: 5 });
      expect(params.get("$where")).toBeNull();
      expect(params.get("$q")).toBe(value.trim() === "" ? null : value);
    }
  });
});
