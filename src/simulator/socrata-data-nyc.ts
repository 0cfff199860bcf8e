/**
 * New York City's two permit feeds in the Socrata simulator. The legacy "DOB
 * Permit Issuance" (`ipu4-2q9a`) stores its dates as TEXT in `MM/DD/YYYY`
 * form, exactly like the portal, so comparing one with an ISO literal is a
 * silent text comparison that answers 200 with the wrong rows. The current
 * feed, "DOB NOW: Build – Approved Permits" (`rbx6-tga4`), has real floating
 * timestamps and keeps its estimated cost as TEXT.
 */
import type { ColumnType } from "./socrata-data.js";
import { compact, daysBefore, draw, ROWS_PER_CITY, text, usDate } from "./socrata-rows.js";

export const LEGACY_NYC_COLUMNS: Record<string, ColumnType> = text(
  "borough",
  "bin__",
  "house__",
  "street_name",
  "job__",
  "job_type",
  "block",
  "lot",
  "work_type",
  "permit_status",
  "permit_type",
  "owner_s_business_name",
  "filing_date",
  "issuance_date",
);

export function legacyNewYorkRows(): Record<string, string>[] {
  const d = draw(1212);
  const streets = ["WEST 42 STREET", "BROADWAY", "ATLANTIC AVENUE", "GRAND CONCOURSE", "VICTORY BOULEVARD", "QUEENS BOULEVARD"];
  return Array.from({ length: ROWS_PER_CITY }, (_, i) => {
    const issued = d.timestamp();
    const status = d.pick(["ISSUED", "ISSUED", "RE-ISSUED", "IN PROCESS"]);
    return compact({
      borough: d.pick(["MANHATTAN", "BROOKLYN", "BRONX", "QUEENS", "STATEN ISLAND"]),
      bin__: String(1_000_000 + i * 4_567),
      house__: d.chance(0.9) ? String(d.int(1, 2500)) : undefined,
      street_name: d.pick(streets),
      job__: String(121_000_000 + i * 1_093),
      job_type: d.pick(["A1", "A2", "A3", "NB", "DM", "SG"]),
      block: String(d.int(1, 9999)),
      lot: String(d.int(1, 150)),
      work_type: d.chance(0.8) ? d.pick(["OT", "PL", "MH", "SP", "EQ"]) : undefined,
      permit_status: status,
      filing_date: usDate(daysBefore(issued, d.int(10, 200))),
      permit_type: d.pick(["AL", "NB", "DM", "EW", "PL", "EQ", "SG"]),
      issuance_date: status === "IN PROCESS" ? undefined : usDate(issued),
      owner_s_business_name: d.chance(0.3) ? d.pick(["ACME REALTY LLC", "O'NEILL HOLDINGS", "PARK SLOPE CO-OP"]) : undefined,
    });
  });
}

export const NYC_NOW_COLUMNS: Record<string, ColumnType> = {
  ...text(
    "job_filing_number",
    "work_permit",
    "work_type",
    "filing_reason",
    "permit_status",
    "house_no",
    "street_name",
    "borough",
    "block",
    "lot",
    "bin",
    "bbl",
    "job_description",
    "estimated_job_costs",
    "owner_business_name",
    "owner_name",
    "applicant_business_name",
  ),
  issued_date: "floating_timestamp",
  approved_date: "floating_timestamp",
  expired_date: "floating_timestamp",
};

const BOROUGHS = [
  { name: "Manhattan", letter: "M", code: "1", streets: ["WEST 29 STREET", "BROADWAY", "EAST 86 STREET", "O'SULLIVAN PLACE"] },
  { name: "Brooklyn", letter: "B", code: "3", streets: ["ATLANTIC AVENUE", "FLATBUSH AVENUE", "BEDFORD AVENUE"] },
  { name: "Bronx", letter: "X", code: "2", streets: ["GRAND CONCOURSE", "FORDHAM ROAD"] },
  { name: "Queens", letter: "Q", code: "4", streets: ["31 AVENUE", "QUEENS BOULEVARD", "STEINWAY STREET"] },
  { name: "Staten Island", letter: "S", code: "5", streets: ["VICTORY BOULEVARD", "HYLAN BOULEVARD"] },
] as const;

const WORK_TYPES: readonly (readonly [string, string])[] = [
  ["Plumbing", "PL"],
  ["Sprinklers", "SP"],
  ["General Construction", "GC"],
  ["Mechanical Systems", "MS"],
  ["Structural", "ST"],
  ["Sidewalk Shed", "SH"],
];

const JOBS = [
  "INSTALL NEW SPRINKLER HEADS ON 3RD FLOOR",
  "INTERIOR RENOVATION OF APARTMENT 4B, NO CHANGE IN USE",
  "REPLACE GAS PIPING FOR 2 BOILERS",
  "ERECT SIDEWALK SHED FOR FACADE REPAIRS",
  "NEW 7 STORY MIXED USE BUILDING",
  "HVAC REPLACEMENT ON ROOF",
];

export function newYorkNowRows(): Record<string, string>[] {
  const d = draw(2929);
  return Array.from({ length: ROWS_PER_CITY }, (_, i) => {
    const borough = d.pick(BOROUGHS);
    const [workType, code] = d.pick(WORK_TYPES);
    const issuedAt = d.timestamp();
    // Some approved work is still waiting for its permit: the dataset then says so in place of a number.
    const issued = i % 13 === 5 ? undefined : issuedAt;
    const job = `${borough.letter}${String(1_000_000 + i * 24_683).padStart(8, "0")}-I1`;
    const block = String(d.int(1, 9999));
    const lot = String(d.int(1, 150));
    return compact({
      job_filing_number: job,
      work_permit: issued ? `${job}-${code}` : "Permit is not yet issued",
      work_type: workType,
      filing_reason: d.chance(0.85) ? "Initial Permit" : "Renewal Permit",
      permit_status: issued ? d.pick(["Permit Issued", "Permit Issued", "Signed-off"]) : undefined,
      issued_date: issued,
      approved_date: daysBefore(issuedAt, d.int(0, 20)),
      expired_date: issued ? daysBefore(issued, -365) : undefined,
      house_no: borough.name === "Queens" ? `${d.int(10, 99)}-${d.int(10, 60)}` : String(d.int(1, 2500)),
      street_name: d.pick(borough.streets),
      // The portal's casing varies between rows; it is text, compared as published.
      borough: i % 9 === 4 ? borough.name.toUpperCase() : borough.name,
      block,
      lot,
      bin: String(Number(borough.code) * 1_000_000 + d.int(1, 99_999)),
      bbl: `${borough.code}${block.padStart(5, "0")}${lot.padStart(4, "0")}`,
      job_description: d.chance(0.9) ? d.pick(JOBS) : undefined,
      estimated_job_costs: d.chance(0.85) ? String(d.pick([0, 8000, 20000, 45000, 150000, 1250000])) : undefined,
      owner_business_name: d.chance(0.4) ? d.pick(["ACME REALTY LLC", "O'NEILL HOLDINGS", "PARK SLOPE CO-OP"]) : undefined,
      owner_name: d.chance(0.7) ? d.pick(["JOHN SMITH", "MARIA GARCIA", "WEI CHEN"]) : undefined,
      applicant_business_name: d.chance(0.8) ? d.pick(["EMPIRE PLUMBING CORP", "BORO SPRINKLER INC", "CITYWIDE GC LLC"]) : undefined,
    });
  });
}
