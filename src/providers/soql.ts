/**
 * Builds the SODA query for a permit search. User values never become SoQL
 * syntax: `$where` is assembled only from the dataset's declared column names,
 * fixed operators and literals written by `quoteSoql` (strings) or
 * `soqlNumber` (numbers); free text goes to `$q`, a separate parameter that
 * Socrata never parses as SoQL.
 *
 * LIKE wildcards: `permit_type` is a literal "contains" match. SoQL has no
 * ESCAPE clause, but its `like` is executed by PostgreSQL, whose LIKE treats
 * backslash as the escape character; so `\`, `%` and `_` in the user's value
 * are written as `\\`, `\%` and `\_`. A user's `%` therefore matches a percent
 * sign, not "anything". Should a portal ever not honour the backslash, the
 * pattern only gets narrower (it then demands a literal backslash), never wider.
 *
 * Types: SoQL compares only values of one type. A cost column may be text on
 * the portal (San Francisco's and New York's are), where `cost >= 1000` is a
 * 400, so the cost is always read through `::number`, which works on a number
 * column too. A date kept as text would compare as text and silently return
 * the wrong rows, so dates are compared, and rows ordered, only on columns the
 * dataset declares as floating timestamps.
 */
import { EcnError } from "../errors.js";
import { PERMIT_FILTERS, type PermitDataset, type PermitFilters } from "./permits.js";

export const MAX_PERMIT_LIMIT = 1000;
/** Longest `permit_type` or `text` value accepted; longer ones are certainly not a permit type or a search phrase. */
export const MAX_FILTER_TEXT = 200;
/** Largest `min_cost` accepted (USD); keeps the literal in plain decimal notation. */
export const MAX_MIN_COST = 1e12;

const COLUMN_NAME = /^[a-z_][a-z0-9_]*$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// A NUL cannot be stored in a PostgreSQL text value and a lone surrogate cannot be sent in a URL intact.
const UNSENDABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A SoQL string literal: single quotes, embedded single quotes doubled; nothing else is special inside. */
export function quoteSoql(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** The LIKE pattern that matches values containing `value` literally (see the file comment). */
export function likeContainsPattern(value: string): string {
  return `%${value.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}

/** A finite, non-negative number as plain decimal text (never exponent notation). */
export function soqlNumber(value: number): string {
  if (!Number.isFinite(value) || value < 0 || value > MAX_MIN_COST) {
    throw new EcnError("invalid_input", `min_cost must be a number from 0 to ${MAX_MIN_COST}`);
  }
  const plain = String(value);
  if (!/e/i.test(plain)) return plain;
  return value.toFixed(20).replace(/\.?0+$/, "");
}

/** Validates YYYY-MM-DD as a real calendar day and returns its UTC midnight. */
function parseDay(name: string, value: string): Date {
  const m = DATE.exec(value);
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!m || !date || date.toISOString().slice(0, 10) !== value) {
    throw new EcnError("invalid_input", `${name} must be a date written YYYY-MM-DD (got ${JSON.stringify(value.slice(0, 40))})`);
  }
  return date;
}

/** A Socrata floating-timestamp literal for the midnight starting `date`. */
function timestampLiteral(date: Date): string {
  return quoteSoql(`${date.toISOString().slice(0, 10)}T00:00:00`);
}

/** Returns the value to use, or undefined when it is absent or blank. */
function textFilter(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new EcnError("invalid_input", `${name} must be a string`);
  if (value.trim() === "") return undefined;
  if (value.length > MAX_FILTER_TEXT) throw new EcnError("invalid_input", `${name} must be at most ${MAX_FILTER_TEXT} characters`);
  if (UNSENDABLE.test(value)) throw new EcnError("invalid_input", `${name} contains a NUL or an unpaired surrogate character`);
  return value;
}

function column(name: string): string {
  // The dataset table is ours, but a typo there must fail loudly, not reach the portal.
  if (!COLUMN_NAME.test(name)) throw new Error(`permit dataset column ${JSON.stringify(name)} is not a plain SoQL identifier`);
  return name;
}

/** Refuses any filter the dataset cannot apply: a filter silently ignored would return rows the caller excluded. */
function refuseUnsupported(dataset: PermitDataset, filters: PermitFilters): void {
  for (const name of PERMIT_FILTERS) {
    if (filters[name] === undefined || dataset.filters.includes(name)) continue;
    throw new EcnError(
      "invalid_input",
      `${name} cannot be applied to ${dataset.city}: the ${dataset.label} dataset (${dataset.datasetId}) publishes nothing it could compare; leave ${name} out`,
    );
  }
  // The dataset table is ours: a filter it lists must have a column that can take it.
  const dates = dataset.filters.includes("issued_since") || dataset.filters.includes("issued_until");
  if (dates && dataset.columns.issuedDateType !== "floating_timestamp") {
    throw new Error(`permit dataset ${dataset.datasetId} lists date filters but ${dataset.columns.issuedDate} is not a floating timestamp`);
  }
  if (dataset.filters.includes("min_cost") && !dataset.columns.cost)
    throw new Error(`permit dataset ${dataset.datasetId} lists min_cost but has no cost column`);
}

/**
 * The SODA parameters (`$where`, `$q`, `$order`, `$limit`) for a permit search
 * on one dataset. Throws `invalid_input` for filters the dataset cannot apply
 * or values that are not valid.
 */
export function buildPermitQuery(dataset: PermitDataset, filters: PermitFilters): URLSearchParams {
  const { columns } = dataset;
  if (!Number.isInteger(filters.limit) || filters.limit < 1 || filters.limit > MAX_PERMIT_LIMIT) {
    throw new EcnError("invalid_input", `limit must be a whole number from 1 to ${MAX_PERMIT_LIMIT}`);
  }
  refuseUnsupported(dataset, filters);
  const where: string[] = [];
  const issued = column(columns.issuedDate);
  const since = filters.issued_since === undefined ? undefined : parseDay("issued_since", filters.issued_since);
  const until = filters.issued_until === undefined ? undefined : parseDay("issued_until", filters.issued_until);
  if (since && until && until < since) {
    throw new EcnError("invalid_input", `issued_until (${filters.issued_until}) is before issued_since (${filters.issued_since})`);
  }
  if (since) where.push(`${issued} >= ${timestampLiteral(since)}`);
  if (until) {
    const nextDay = new Date(until.getTime() + 86_400_000);
    where.push(`${issued} < ${timestampLiteral(nextDay)}`);
  }
  const permitType = textFilter("permit_type", filters.permit_type);
  if (permitType !== undefined) {
    where.push(`upper(${column(columns.type)}) like upper(${quoteSoql(likeContainsPattern(permitType))})`);
  }
  if (filters.min_cost !== undefined) {
    if (typeof filters.min_cost !== "number") throw new EcnError("invalid_input", "min_cost must be a number");
    where.push(`${column(columns.cost!)}::number >= ${soqlNumber(filters.min_cost)}`);
  }
  const params = new URLSearchParams();
  if (where.length > 0) params.set("$where", where.join(" AND "));
  const text = textFilter("text", filters.text);
  if (text !== undefined) params.set("$q", text);
  // Socrata sorts NULLs first on DESC; permits not issued yet would otherwise crowd out the rest.
  if (columns.issuedDateType === "floating_timestamp") params.set("$order", `${issued} DESC NULL LAST`);
  params.set("$limit", String(filters.limit));
  return params;
}
