/**
 * The four cities' building-permit datasets on Socrata and how
 * the common permit filters map onto each one's columns. Column names and
 * types come from the portals' published schemas and public code that queries
 * them; the SoQL builder only ever writes the names listed here into a query.
 */

export const PERMIT_CITIES = ["chicago", "new_york", "san_francisco", "austin"] as const;
export type PermitCity = (typeof PERMIT_CITIES)[number];

/** The optional filters of a permit search; `limit` is always accepted. */
export const PERMIT_FILTERS = ["issued_since", "issued_until", "permit_type", "min_cost", "text"] as const;
export type PermitFilterName = (typeof PERMIT_FILTERS)[number];

/** Column types as a portal declares them (SoQL compares only values of one type). */
export type SodaType = "text" | "number" | "floating_timestamp";

/** The filters `permit_search` accepts; every one is optional except `limit`. */
export interface PermitFilters {
  /** First issue day to include, YYYY-MM-DD. */
  issued_since?: string;
  /** Last issue day to include (inclusive), YYYY-MM-DD. */
  issued_until?: string;
  /** Case-insensitive substring of the city's permit type column, matched literally. */
  permit_type?: string;
  /** Minimum declared cost in USD, compared with the city's cost column read as a number. */
  min_cost?: number;
  /** Free-text search over the whole row (Socrata's `$q`). */
  text?: string;
  /** Rows to return, 1..1000. */
  limit: number;
}

/** One permit in the shape every city shares, with the untouched source row in `raw`. */
export interface PermitRow {
  permit_number: string | null;
  type: string | null;
  status: string | null;
  /** YYYY-MM-DD when the source holds a timestamp; the source text otherwise. */
  issued_date: string | null;
  address: string | null;
  cost: number | null;
  description: string | null;
  raw: Record<string, string>;
}

export interface PermitColumns {
  permitNumber: string;
  /** What the dataset writes in place of a number while no permit is issued; read as no number. */
  permitNumberPlaceholder?: string;
  /** Matched by the `permit_type` filter. */
  type: string;
  status: string | null;
  /** Compared by `issued_since`/`issued_until` and used for ordering. */
  issuedDate: string;
  /**
   * The issued-date column's type on the portal. Only a floating timestamp is
   * compared with a date or sorted by: a date kept as text compares as text,
   * which the portal answers with the wrong rows rather than an error.
   */
  issuedDateType: SodaType;
  /** Compared by `min_cost`; null when the dataset publishes no cost. */
  cost: string | null;
  /** The cost column's type where confirmed; the query casts it with `::number` whatever it is. */
  costType: SodaType | "unconfirmed" | null;
  description: string | null;
  /** Joined with spaces to form the street address. */
  address: readonly string[];
  /** Appended after a comma (New York's borough). */
  locality?: string;
}

/** What each filter's column holds, in words, for the tool's description. */
export interface PermitFilterGuide {
  /** What the issued-date column records. */
  issued: string;
  /** What the cost column records. */
  cost: string;
  /** Some values of the permit type column. */
  type: string;
}

export interface PermitDataset {
  city: PermitCity;
  /** The city's name for people. */
  name: string;
  domain: string;
  datasetId: string;
  label: string;
  columns: PermitColumns;
  /** The filters this dataset can apply; any other one given is refused with invalid_input, never ignored. */
  filters: readonly PermitFilterName[];
  guide: PermitFilterGuide;
}

export const PERMIT_DATASETS: Record<PermitCity, PermitDataset> = {
  chicago: {
    city: "chicago",
    name: "Chicago",
    domain: "data.cityofchicago.org",
    datasetId: "ydr8-5enu",
    label: "Chicago Building Permits",
    columns: {
      permitNumber: "permit_",
      type: "permit_type",
      status: "permit_status",
      issuedDate: "issue_date",
      issuedDateType: "floating_timestamp",
      cost: "reported_cost",
      costType: "unconfirmed",
      description: "work_description",
      address: ["street_number", "street_direction", "street_name"],
    },
    filters: PERMIT_FILTERS,
    guide: {
      issued: "the day the permit was issued",
      cost: "the construction cost the applicant reported",
      type: "'PERMIT - NEW CONSTRUCTION', 'PERMIT - ELECTRIC WIRING', 'PERMIT - RENOVATION/ALTERATION'",
    },
  },
  new_york: {
    city: "new_york",
    name: "New York City",
    domain: "data.cityofnewyork.us",
    datasetId: "rbx6-tga4",
    label: "NYC DOB NOW: Build – Approved Permits",
    columns: {
      permitNumber: "work_permit",
      permitNumberPlaceholder: "Permit is not yet issued",
      type: "work_type",
      status: "permit_status",
      issuedDate: "issued_date",
      issuedDateType: "floating_timestamp",
      cost: "estimated_job_costs",
      costType: "text",
      description: "job_description",
      address: ["house_no", "street_name"],
      locality: "borough",
    },
    filters: PERMIT_FILTERS,
    guide: {
      issued: "the day the work permit was issued",
      cost: "the job's estimated cost declared in the filing",
      type: "'Plumbing', 'Sprinklers', 'General Construction'",
    },
  },
  san_francisco: {
    city: "san_francisco",
    name: "San Francisco",
    domain: "data.sfgov.org",
    datasetId: "i98e-djp9",
    label: "San Francisco Building Permits",
    columns: {
      permitNumber: "permit_number",
      type: "permit_type_definition",
      status: "status",
      issuedDate: "issued_date",
      issuedDateType: "floating_timestamp",
      cost: "estimated_cost",
      costType: "text",
      description: "description",
      address: ["street_number", "street_name", "street_suffix"],
    },
    filters: PERMIT_FILTERS,
    guide: {
      issued: "the day the permit was issued, not the day it was filed",
      cost: "the cost estimated when the permit was filed, not revised_cost",
      type: "'new construction', 'additions alterations or repairs', 'otc alterations permit'",
    },
  },
  austin: {
    city: "austin",
    name: "Austin",
    domain: "data.austintexas.gov",
    datasetId: "3syk-w9eu",
    label: "Austin Issued Construction Permits",
    columns: {
      permitNumber: "permit_number",
      type: "permit_type_desc",
      status: "status_current",
      issuedDate: "issue_date",
      issuedDateType: "floating_timestamp",
      cost: "total_job_valuation",
      costType: "unconfirmed",
      description: "description",
      address: ["original_address1"],
    },
    filters: PERMIT_FILTERS,
    guide: {
      issued: "the day the permit was issued",
      cost: "the declared valuation of the whole job",
      type: "'Building Permit', 'Electrical Permit', 'Plumbing Permit'",
    },
  },
};

/**
 * One city's filters in words: which column each compares and how. The
 * portals publish issue dates as floating timestamps (a calendar day with no
 * time zone), so a day here is a day in the city's own calendar, and costs
 * are what the applicant declared, unverified.
 */
export function describePermitFilters(dataset: PermitDataset): string {
  const has = (name: PermitFilterName) => dataset.filters.includes(name);
  const parts: string[] = [];
  const { columns: c, guide } = dataset;
  const dates = (["issued_since", "issued_until"] as const).filter(has);
  if (dates.length > 0) {
    parts.push(
      `${dates.join("/")} compare${dates.length === 1 ? "s" : ""} ${c.issuedDate} (${guide.issued}: a day in ${dataset.name}'s local calendar as published, no time zone)`,
    );
  }
  if (has("min_cost")) parts.push(`min_cost compares ${c.cost} read as a number (${guide.cost}: USD as the city publishes it)`);
  if (has("permit_type")) parts.push(`permit_type matches part of ${c.type}, ignoring case (e.g. ${guide.type})`);
  const missing = PERMIT_FILTERS.filter((n) => !has(n));
  if (missing.length > 0) parts.push(`${missing.join(", ")} cannot be applied and ${missing.length === 1 ? "is" : "are"} refused`);
  return `${dataset.name} (${dataset.datasetId}): ${parts.join("; ")}.`;
}

export function isPermitCity(value: unknown): value is PermitCity {
  return typeof value === "string" && (PERMIT_CITIES as readonly string[]).includes(value);
}

function text(value: string | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

/** Socrata floating timestamps look like `2024-03-05T00:00:00.000`; keep the day. */
function day(value: string | undefined): string | null {
  const t = text(value);
  if (t === null) return null;
  return /^\d{4}-\d{2}-\d{2}(?:T|$)/.test(t) ? t.slice(0, 10) : t;
}

/** Numbers arrive as strings ("25000", "1.25E5", sometimes "$1,200"); anything unreadable is null. */
function amount(value: string | undefined): number | null {
  const t = text(value)?.replace(/^\$/, "").replace(/,/g, "");
  if (!t) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/**
 * Maps one source row to the common shape. Socrata omits null fields, so any
 * column may be missing; an empty or blank value counts as missing too.
 */
export function normalisePermit(city: PermitCity, raw: Record<string, string>): PermitRow {
  const c = PERMIT_DATASETS[city].columns;
  const street = c.address
    .map((col) => text(raw[col]))
    .filter((part): part is string => part !== null)
    .join(" ");
  const locality = c.locality ? text(raw[c.locality]) : null;
  const address = [street || null, locality].filter((part): part is string => part !== null).join(", ");
  const number = text(raw[c.permitNumber]);
  return {
    permit_number: number !== null && number === c.permitNumberPlaceholder ? null : number,
    type: text(raw[c.type]),
    status: c.status ? text(raw[c.status]) : null,
    issued_date: day(raw[c.issuedDate]),
    address: address || null,
    cost: c.cost ? amount(raw[c.cost]) : null,
    description: c.description ? text(raw[c.description]) : null,
    raw,
  };
}
