/**
 * The four cities' building-permit datasets on Socrata and how
 * the common permit filters map onto each one's columns. Column names come
 * from the portals' published schemas (unverified against live metadata); the
 * SoQL builder only ever writes the names listed here into a query.
 */

export const PERMIT_CITIES = ["chicago", "new_york", "san_francisco", "austin"] as const;
export type PermitCity = (typeof PERMIT_CITIES)[number];

/** The filters `permit_search` accepts; every one is optional except `limit`. */
export interface PermitFilters {
  /** First issue day to include, YYYY-MM-DD. */
  issued_since?: string;
  /** Last issue day to include (inclusive), YYYY-MM-DD. */
  issued_until?: string;
  /** Case-insensitive substring of the city's permit type column, matched literally. */
  permit_type?: string;
  /** Minimum declared cost in USD; not every city publishes one (see `supportsMinCost`). */
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
  /** Matched by the `permit_type` filter. */
  type: string;
  status: string | null;
  /** Compared by `issued_since`/`issued_until` and used for ordering. */
  issuedDate: string;
  /** Compared by `min_cost`; null when the dataset publishes no cost. */
  cost: string | null;
  description: string | null;
  /** Joined with spaces to form the street address. */
  address: readonly string[];
  /** Appended after a comma (New York's borough). */
  locality?: string;
}

export interface PermitDataset {
  city: PermitCity;
  domain: string;
  datasetId: string;
  label: string;
  columns: PermitColumns;
  supportsMinCost: boolean;
}

export const PERMIT_DATASETS: Record<PermitCity, PermitDataset> = {
  chicago: {
    city: "chicago",
    domain: "data.cityofchicago.org",
    datasetId: "ydr8-5enu",
    label: "Chicago Building Permits",
    columns: {
      permitNumber: "permit_",
      type: "permit_type",
      status: "permit_status",
      issuedDate: "issue_date",
      cost: "reported_cost",
      description: "work_description",
      address: ["street_number", "street_direction", "street_name"],
    },
    supportsMinCost: true,
  },
  new_york: {
    city: "new_york",
    domain: "data.cityofnewyork.us",
    datasetId: "ipu4-2q9a",
    label: "NYC DOB Permit Issuance",
    columns: {
      permitNumber: "job__",
      type: "permit_type",
      status: "permit_status",
      issuedDate: "issuance_date",
      cost: null,
      description: null,
      address: ["house__", "street_name"],
      locality: "borough",
    },
    supportsMinCost: false,
  },
  san_francisco: {
    city: "san_francisco",
    domain: "data.sfgov.org",
    datasetId: "i98e-djp9",
    label: "San Francisco Building Permits",
    columns: {
      permitNumber: "permit_number",
      type: "permit_type_definition",
      status: "status",
      issuedDate: "issued_date",
      cost: "estimated_cost",
      description: "description",
      address: ["street_number", "street_name", "street_suffix"],
    },
    supportsMinCost: true,
  },
  austin: {
    city: "austin",
    domain: "data.austintexas.gov",
    datasetId: "3syk-w9eu",
    label: "Austin Issued Construction Permits",
    columns: {
      permitNumber: "permit_number",
      type: "permit_type_desc",
      status: "status_current",
      issuedDate: "issue_date",
      cost: "total_job_valuation",
      description: "description",
      address: ["original_address1"],
    },
    supportsMinCost: true,
  },
};

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
  const street = c.address.map((col) => text(raw[col])).filter((part): part is string => part !== null).join(" ");
  const locality = c.locality ? text(raw[c.locality]) : null;
  const address = [street || null, locality].filter((part): part is string => part !== null).join(", ");
  return {
    permit_number: text(raw[c.permitNumber]),
    type: text(raw[c.type]),
    status: c.status ? text(raw[c.status]) : null,
    issued_date: day(raw[c.issuedDate]),
    address: address || null,
    cost: c.cost ? amount(raw[c.cost]) : null,
    description: c.description ? text(raw[c.description]) : null,
    raw,
  };
}
