/**
 * The simulator types columns as the portals do, so a query only a friendlier
 * service would answer fails here too; and the adapter's queries pass.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normalisePermit, PERMIT_DATASETS, type PermitCity } from "../../src/providers/permits.js";
import { createSocrata, permitRequestUrl } from "../../src/providers/socrata.js";
import { startSocrataSimulator, type SocrataSimulator } from "../../src/simulator/socrata.js";

let sim: SocrataSimulator;
beforeAll(async () => {
  sim = await startSocrataSimulator();
});
afterAll(() => sim.close());

const provider = () => createSocrata({ baseUrl: sim.baseUrl });
const fixtures = (city: PermitCity) => sim.datasets[PERMIT_DATASETS[city].datasetId]!.rows.map((raw) => normalisePermit(city, raw));
const raw = (datasetId: string, params: Record<string, string>) => fetch(`${sim.baseUrl}/resource/${datasetId}.json?${new URLSearchParams(params)}`);
const last = () => sim.requests.at(-1)!;

/** `MM/DD/YYYY` to `YYYY-MM-DD`. */
const isoDay = (us: string) => `${us.slice(6, 10)}-${us.slice(0, 2)}-${us.slice(3, 5)}`;

describe("San Francisco: estimated_cost is text on the portal", () => {
  it("a min_cost search works, because the adapter casts the cost with ::number", async () => {
    const { rows } = await provider().searchPermits("san_francisco", { min_cost: 25_000, limit: 1000 });
    expect(last().status).toBe(200);
    expect(last().query.$where).toBe("estimated_cost::number >= 25000");
    const expected = fixtures("san_francisco").filter((r) => r.cost !== null && r.cost >= 25_000);
    expect(expected.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.permit_number).sort()).toEqual(expected.map((r) => r.permit_number).sort());
  });

  it("estimated_cost >= 1000 is refused with the portal's 400 type-mismatch body; the cast is answered", async () => {
    const bare = await raw("i98e-djp9", { $where: "estimated_cost >= 1000" });
    expect(bare.status).toBe(400);
    expect(await bare.json()).toEqual({
      code: "query.soql.type-mismatch",
      error: true,
      message: "Type mismatch for op$>=, is number",
      data: { dataset: "i98e-djp9", function: "op$>=", type: "number" },
    });
    const cast = await raw("i98e-djp9", { $where: "estimated_cost::number >= 1000" });
    expect(cast.status).toBe(200);
    const expected = sim.datasets["i98e-djp9"]!.rows.filter((r) => r.estimated_cost !== undefined && Number(r.estimated_cost) >= 1000);
    expect(await cast.json()).toEqual(expected);
    const types = JSON.parse(cast.headers.get("x-soda2-types")!) as string[];
    expect(types[Object.keys(sim.datasets["i98e-djp9"]!.columns).indexOf("estimated_cost")]).toBe("text");
  });

  it("a cast that meets a value that is not a number is a 400 query.execution.error", async () => {
    const bad = await raw("i98e-djp9", { $where: "street_name::number > 1" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: "query.execution.error", error: true, data: { dataset: "i98e-djp9", type: "number" } });
  });
});

describe("Chicago and Austin: cost types not confirmed, the cast works on either", () => {
  it("Chicago's reported_cost is text in the simulator: bare comparison 400, min_cost search 200", async () => {
    expect((await raw("ydr8-5enu", { $where: "reported_cost >= 1000" })).status).toBe(400);
    const { rows } = await provider().searchPermits("chicago", { min_cost: 10_000, limit: 1000 });
    expect(rows.map((r) => r.permit_number).sort()).toEqual(
      fixtures("chicago")
        .filter((r) => r.cost !== null && r.cost >= 10_000)
        .map((r) => r.permit_number)
        .sort(),
    );
  });

  it("Austin's total_job_valuation is a number: both forms give the same rows", async () => {
    const bare = (await (await raw("3syk-w9eu", { $where: "total_job_valuation >= 9800" })).json()) as unknown[];
    const cast = (await (await raw("3syk-w9eu", { $where: "total_job_valuation::number >= 9800" })).json()) as unknown[];
    expect(cast).toEqual(bare);
    expect(bare.length).toBeGreaterThan(0);
  });
});

describe("New York: the current feed rbx6-tga4", () => {
  it("a date-filtered search returns exactly the simulated rows in range, newest issued first", async () => {
    const result = await provider().searchPermits("new_york", { issued_since: "2024-03-01", issued_until: "2025-02-28", limit: 1000 });
    expect(last().path).toBe("/resource/rbx6-tga4.json");
    expect(last().query).toMatchObject({
      $where: "issued_date >= '2024-03-01T00:00:00' AND issued_date < '2025-03-01T00:00:00'",
      $order: "issued_date DESC NULL LAST",
    });
    expect(result.dataset).toContain("rbx6-tga4");
    const expected = sim.datasets["rbx6-tga4"]!.rows.filter(
      (r) => r.issued_date !== undefined && r.issued_date.slice(0, 10) >= "2024-03-01" && r.issued_date.slice(0, 10) <= "2025-02-28",
    ).map((r) => normalisePermit("new_york", r));
    expect(expected.length).toBeGreaterThan(3);
    expect(result.rows.map((r) => r.permit_number).sort()).toEqual(expected.map((r) => r.permit_number).sort());
    const dates = result.rows.map((r) => r.issued_date!);
    expect(dates).toEqual(
      expected
        .map((r) => r.issued_date!)
        .sort()
        .reverse(),
    );
  });

  it("maps work_permit, work_type, permit_status, estimated_job_costs and house_no street_name, borough", async () => {
    const { rows } = await provider().searchPermits("new_york", { permit_type: "plumb", min_cost: 8000, limit: 1000 });
    expect(last().query.$where).toBe("upper(work_type) like upper('%plumb%') AND estimated_job_costs::number >= 8000");
    const expected = fixtures("new_york").filter((r) => r.type === "Plumbing" && r.cost !== null && r.cost >= 8000);
    expect(expected.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.raw.job_filing_number).sort()).toEqual(expected.map((r) => r.raw.job_filing_number).sort());
    for (const row of rows) {
      expect(row).toMatchObject({ type: "Plumbing", status: row.raw.permit_status ?? null, description: row.raw.job_description ?? null });
      expect(row.address).toBe(`${row.raw.house_no} ${row.raw.street_name}, ${row.raw.borough}`);
      if (row.raw.issued_date) expect(row.permit_number).toBe(row.raw.work_permit);
    }
    const waiting = fixtures("new_york").filter((r) => r.raw.work_permit === "Permit is not yet issued");
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting.every((r) => r.permit_number === null && r.issued_date === null)).toBe(true);
  });
});

describe("New York's legacy feed ipu4-2q9a keeps its dates as MM/DD/YYYY text, as the portal does", () => {
  const legacy = () => sim.datasets["ipu4-2q9a"]!.rows.filter((r) => r.issuance_date !== undefined);

  it("issuance_date >= an ISO literal is a silent text comparison: HTTP 200 with the wrong rows", async () => {
    expect(legacy().every((r) => /^\d{2}\/\d{2}\/\d{4}$/.test(r.issuance_date!))).toBe(true);
    const truly = legacy().filter((r) => isoDay(r.issuance_date!) >= "2024-01-01");
    expect(truly.length).toBeGreaterThan(0);
    const since = await raw("ipu4-2q9a", { $where: "issuance_date >= '2024-01-01T00:00:00'" });
    expect(since.status).toBe(200);
    // "06/17/2025" < "2024-..." as text: every row is left out, those issued in 2024 and later too.
    expect(await since.json()).toEqual([]);
    const before = (await (await raw("ipu4-2q9a", { $where: "issuance_date < '2024-01-01T00:00:00'" })).json()) as Record<string, string>[];
    expect(before.some((r) => isoDay(r.issuance_date!) >= "2024-01-01")).toBe(true);
    expect(before).toHaveLength(legacy().length);
  });

  it("$order on the text date sorts by month, not by day", async () => {
    const response = await raw("ipu4-2q9a", { $order: "issuance_date DESC NULL LAST", $limit: "1" });
    const [first] = (await response.json()) as Record<string, string>[];
    const newest = legacy()
      .map((r) => isoDay(r.issuance_date!))
      .sort()
      .at(-1);
    expect(first!.issuance_date!.startsWith("12/")).toBe(true);
    expect(isoDay(first!.issuance_date!)).not.toBe(newest);
  });

  it("is no longer what the adapter queries", () => {
    const url = permitRequestUrl(PERMIT_DATASETS.new_york, new URLSearchParams());
    expect(url.pathname).toBe("/resource/rbx6-tga4.json");
    expect(Object.values(PERMIT_DATASETS).some((d) => d.datasetId === "ipu4-2q9a")).toBe(false);
  });
});
