/**
 * Fixture datasets for the Socrata simulator: the cities' permit tables with
 * their column types and ~40 deterministic rows each. Values are strings, as
 * SODA 2 serves them; null fields are left out of a row, as Socrata does.
 * The schemas are written independently of src/providers/permits.ts so a wrong
 * column name in the adapter shows up as `query.soql.no-such-column`, and the
 * types are the portals' own (costs kept as text where the portal keeps them
 * so), so a query that only a friendlier service would accept fails here too.
 */
import { LEGACY_NYC_COLUMNS, legacyNewYorkRows, NYC_NOW_COLUMNS, newYorkNowRows } from "./socrata-data-nyc.js";
import { compact, daysBefore, draw, ROWS_PER_CITY, text } from "./socrata-rows.js";

export type ColumnType = "text" | "number" | "floating_timestamp";

export interface SimDataset {
  id: string;
  domain: string;
  columns: Record<string, ColumnType>;
  rows: Record<string, string>[];
}

const STREETS = ["CLARK", "HALSTED", "MILWAUKEE", "ASHLAND", "WESTERN", "O'BRIEN", "DIVISION", "ARCHER"];
const WORK = [
  "ERECT 3 STORY MASONRY RESIDENCE WITH BASEMENT",
  "INTERIOR RENOVATION OF KITCHEN AND 2 BATHROOMS",
  "WRECK AND REMOVE 2 STORY FRAME GARAGE",
  "INSTALL 200 AMP ELECTRIC SERVICE",
  "REPLACE REAR PORCH PER PLANS",
  "ROOF REPLACEMENT, 100% TEAR-OFF",
  "INSTALL ILLUMINATED WALL SIGN",
];

function chicagoRows(): Record<string, string>[] {
  const d = draw(7301);
  const types = [
    "PERMIT - NEW CONSTRUCTION",
    "PERMIT - RENOVATION/ALTERATION",
    "PERMIT - WRECKING/DEMOLITION",
    "PERMIT - ELECTRIC WIRING",
    "PERMIT - EASY PERMIT PROCESS",
    "PERMIT - SIGNS",
    "PERMIT - PORCH CONSTRUCTION",
  ];
  return Array.from({ length: ROWS_PER_CITY }, (_, i) => {
    const issued = d.timestamp();
    return compact({
      id: String(3_390_000 + i * 17),
      permit_: String(100_900_000 + i * 311),
      permit_status: d.chance(0.8) ? d.pick(["ACTIVE", "COMPLETE", "COMPLETE", "EXPIRED"]) : undefined,
      permit_type: d.pick(types),
      review_type: d.pick(["STANDARD PLAN REVIEW", "EXPRESS PERMIT PROGRAM", "SELF CERT"]),
      application_start_date: daysBefore(issued, d.int(3, 90)),
      issue_date: i % 13 === 5 ? undefined : issued,
      street_number: String(d.int(100, 9999)),
      street_direction: d.pick(["N", "S", "E", "W"]),
      street_name: d.pick(STREETS),
      suffix: d.pick(["AVE", "ST", "BLVD"]),
      work_description: d.chance(0.9) ? d.pick(WORK) : undefined,
      reported_cost: d.chance(0.85) ? String(d.pick([0, 500, 2500, 12000, 48000, 150000, 875000, 2400000]) + d.int(0, 9) * 100) : undefined,
      community_area: String(d.int(1, 77)),
    });
  });
}

function sanFranciscoRows(): Record<string, string>[] {
  const d = draw(4150);
  const types: [string, string][] = [
    ["1", "new construction"],
    ["3", "additions alterations or repairs"],
    ["6", "demolitions"],
    ["7", "wall or painted sign"],
    ["8", "otc alterations permit"],
  ];
  return Array.from({ length: ROWS_PER_CITY }, (_, i) => {
    const filed = d.timestamp();
    const [code, definition] = d.pick(types);
    const status = d.pick(["issued", "complete", "complete", "filed", "expired"]);
    const row = compact({
      permit_number: `${filed.slice(0, 10).replaceAll("-", "")}${String(1000 + ((i * 7_919) % 9000))}`,
      permit_type: code,
      permit_type_definition: definition,
      status,
      filed_date: filed,
      issued_date: status === "filed" ? undefined : daysBefore(filed, -d.int(0, 60)),
      block: String(d.int(1, 7000)).padStart(4, "0"),
      lot: String(d.int(1, 300)).padStart(3, "0"),
      street_number: String(d.int(1, 3999)),
      street_name: d.pick(["Market", "Valencia", "Mission", "Geary", "Irving", "O'Farrell"]),
      street_suffix: d.chance(0.9) ? d.pick(["St", "Av", "Bl"]) : undefined,
      description: d.chance(0.9)
        ? d.pick(["reroofing", "kitchen remodel", "seismic retrofit per ab-094", "erect 4-story mixed use building", "new storefront sign"])
        : undefined,
      estimated_cost: d.chance(0.8) ? String(d.pick([1, 8500, 25000, 90000, 450000, 3200000])) : undefined,
      zipcode: d.pick(["94103", "94110", "94122", "94109"]),
    });
    if (row.estimated_cost !== undefined && d.chance(0.3)) row.revised_cost = String(Number(row.estimated_cost) + d.int(1, 20) * 500);
    return row;
  });
}

function austinRows(): Record<string, string>[] {
  const d = draw(7870);
  return Array.from({ length: ROWS_PER_CITY }, (_, i) => {
    const issued = d.timestamp();
    const year = issued.slice(0, 4);
    const kind = d.pick(["BP", "EP", "MP", "PP", "DS"] as const);
    const desc = { BP: "Building Permit", EP: "Electrical Permit", MP: "Mechanical Permit", PP: "Plumbing Permit", DS: "Driveway / Sidewalks" }[kind];
    return compact({
      permittype: kind,
      permit_type_desc: desc,
      permit_number: `${year}-${String(1000 + i * 37).padStart(6, "0")} ${kind}`,
      permit_class_mapped: d.pick(["Residential", "Commercial"]),
      work_class: d.pick(["New", "Remodel", "Addition", "Repair", "Demo"]),
      description: d.chance(0.9)
        ? d.pick(["New single family residence", "Replace HVAC unit", "Re-pipe whole house", "Interior remodel 50% of floor area", "Pool and spa"])
        : undefined,
      issue_date: i % 11 === 3 ? undefined : issued,
      calendar_year_issued: year,
      status_current: d.pick(["Active", "Final", "Final", "Expired", "Void"]),
      original_address1: `${d.int(100, 12000)} ${d.pick(["E CESAR CHAVEZ ST", "S CONGRESS AVE", "BURNET RD", "W 6TH ST", "MANCHACA RD"])}`,
      total_job_valuation: d.chance(0.8) ? String(d.pick([0, 1200.5, 9800, 45000, 325000.75, 1850000])) : undefined,
    });
  });
}

function dataset(id: string, domain: string, columns: Record<string, ColumnType>, rows: Record<string, string>[]): SimDataset {
  return { id, domain, columns, rows };
}

/** The simulated datasets, keyed by dataset id. */
export const SIM_DATASETS: Record<string, SimDataset> = Object.fromEntries(
  [
    // reported_cost's type on the portal is not confirmed: text here, so only a query that casts it passes.
    dataset(
      "ydr8-5enu",
      "data.cityofchicago.org",
      {
        ...text(
          "id",
          "permit_",
          "permit_status",
          "permit_type",
          "review_type",
          "street_number",
          "street_direction",
          "street_name",
          "suffix",
          "work_description",
          "community_area",
          "reported_cost",
        ),
        application_start_date: "floating_timestamp",
        issue_date: "floating_timestamp",
      },
      chicagoRows(),
    ),
    dataset("ipu4-2q9a", "data.cityofnewyork.us", LEGACY_NYC_COLUMNS, legacyNewYorkRows()),
    dataset("rbx6-tga4", "data.cityofnewyork.us", NYC_NOW_COLUMNS, newYorkNowRows()),
    dataset(
      "i98e-djp9",
      "data.sfgov.org",
      {
        ...text(
          "permit_number",
          "permit_type",
          "permit_type_definition",
          "status",
          "block",
          "lot",
          "street_number",
          "street_name",
          "street_suffix",
          "description",
          "zipcode",
          "estimated_cost",
          "revised_cost",
        ),
        filed_date: "floating_timestamp",
        issued_date: "floating_timestamp",
      },
      sanFranciscoRows(),
    ),
    // total_job_valuation's type is not confirmed either: a number here, so the same cast is proven on both kinds.
    dataset(
      "3syk-w9eu",
      "data.austintexas.gov",
      {
        ...text(
          "permittype",
          "permit_type_desc",
          "permit_number",
          "permit_class_mapped",
          "work_class",
          "description",
          "calendar_year_issued",
          "status_current",
          "original_address1",
        ),
        issue_date: "floating_timestamp",
        total_job_valuation: "number",
      },
      austinRows(),
    ),
  ].map((d) => [d.id, d]),
);
