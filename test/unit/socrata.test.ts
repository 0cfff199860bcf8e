import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EcnError } from "../../src/errors.js";
import { PERMIT_CITIES, PERMIT_DATASETS, normalisePermit, type PermitCity } from "../../src/providers/permits.js";
import { buildPermitQuery } from "../../src/providers/soql.js";
import { createSocrata, permitRequestUrl } from "../../src/providers/socrata.js";
import { startSocrataSimulator, type SocrataSimulator } from "../../src/simulator/socrata.js";
import { waitFor } from "../helpers/wait.js";

const TOKEN = "sim-app-token-123";
let sim: SocrataSimulator;
const extra: SocrataSimulator[] = [];

beforeAll(async () => {
  sim = await startSocrataSimulator({ appToken: TOKEN });
});
afterAll(() => sim.close());
afterEach(async () => {
  while (extra.length) await extra.pop()!.close();
});

const provider = (options: Parameters<typeof createSocrata>[0] = {}) => createSocrata({ baseUrl: sim.baseUrl, appToken: TOKEN, ...options });
const fixtures = (city: PermitCity) => sim.datasets[PERMIT_DATASETS[city].datasetId]!.rows.map((raw) => normalisePermit(city, raw));
const last = (s: SocrataSimulator = sim) => s.requests.at(-1)!;

async function providerError(promise: Promise<unknown>): Promise<EcnError> {
  const error = await promise.then(
    () => {
      throw new Error("expected the search to fail");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EcnError);
  return error as EcnError;
}

describe("searchPermits against the simulator", () => {
  it.each(PERMIT_CITIES)("%s: returns normalised rows with raw fields, newest first, and the request URL", async (city) => {
    const dataset = PERMIT_DATASETS[city];
    const result = await provider().searchPermits(city, { limit: 12 });
    expect(result.rows).toHaveLength(12);
    expect(result.dataset).toContain(dataset.datasetId);
    expect(result.sourceUrl.startsWith(`${sim.baseUrl}/resource/${dataset.datasetId}.json?`)).toBe(true);
    expect(result.query).toContain("$limit=12");
    expect(last().path).toBe(`/resource/${dataset.datasetId}.json`);
    for (const row of result.rows) {
      expect(row.permit_number).toBe(row.raw[dataset.columns.permitNumber]);
      expect(row.type).toBeTruthy();
      expect(row.issued_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(row.address).toBeTruthy();
      expect(Object.values(row.raw).every((v) => typeof v === "string")).toBe(true);
      if (row.raw[dataset.columns.cost!] !== undefined) expect(row.cost).toBe(Number(row.raw[dataset.columns.cost!]));
      else expect(row.cost).toBeNull();
    }
    const dates = result.rows.map((r) => r.issued_date!);
    expect(dates).toEqual([...dates].sort().reverse());
    const newest = fixtures(city)
      .map((r) => r.issued_date)
      .filter((d): d is string => d !== null)
      .sort()
      .reverse();
    expect(dates[0]).toBe(newest[0]);
  });

  it("filters by issue dates (inclusive) exactly as the fixtures say", async () => {
    for (const city of PERMIT_CITIES) {
      const { rows } = await provider().searchPermits(city, { issued_since: "2024-03-01", issued_until: "2025-02-28", limit: 1000 });
      const expected = fixtures(city).filter((r) => r.issued_date !== null && r.issued_date >= "2024-03-01" && r.issued_date <= "2025-02-28");
      expect(expected.length).toBeGreaterThan(0);
      expect(rows.map((r) => r.permit_number).sort()).toEqual(expected.map((r) => r.permit_number).sort());
    }
  });

  it("filters by permit type (case-insensitive contains), min_cost and free text", async () => {
    const byType = await provider().searchPermits("chicago", { permit_type: "new construction", limit: 1000 });
    const expectedType = fixtures("chicago").filter((r) => r.type!.includes("NEW CONSTRUCTION"));
    expect(expectedType.length).toBeGreaterThan(0);
    expect(byType.rows).toHaveLength(expectedType.length);

    const byCost = await provider().searchPermits("san_francisco", { min_cost: 25_000, limit: 1000 });
    const expectedCost = fixtures("san_francisco").filter((r) => r.cost !== null && r.cost >= 25_000);
    expect(byCost.rows.length).toBe(expectedCost.length);
    expect(byCost.rows.every((r) => r.cost! >= 25_000)).toBe(true);

    const combined = await provider().searchPermits("austin", { permit_type: "PERMIT", min_cost: 1000.25, issued_since: "2024-01-01", limit: 1000 });
    const expectedCombined = fixtures("austin").filter(
      (r) => r.type!.toUpperCase().includes("PERMIT") && r.cost !== null && r.cost >= 1000.25 && r.issued_date !== null && r.issued_date >= "2024-01-01",
    );
    expect(combined.rows.map((r) => r.permit_number).sort()).toEqual(expectedCombined.map((r) => r.permit_number).sort());

    const byText = await provider().searchPermits("san_francisco", { text: "o'farrell", limit: 1000 });
    expect(byText.rows.length).toBeGreaterThan(0);
    expect(byText.rows.every((r) => JSON.stringify(r.raw).toLowerCase().includes("o'farrell"))).toBe(true);
    expect(last().query.$q).toBe("o'farrell");
  });

  it("sends the app token in X-App-Token only when one is configured", async () => {
    await provider().searchPermits("chicago", { limit: 1 });
    expect(last().appToken).toBe(TOKEN);
    await createSocrata({ baseUrl: sim.baseUrl }).searchPermits("chicago", { limit: 1 });
    expect(last().appToken).toBeUndefined();
    const result = await provider().searchPermits("austin", { limit: 1 });
    expect(result.sourceUrl).not.toContain(TOKEN);
    expect(result.query).not.toContain(TOKEN);
  });

  it.each(["' OR 1=1 --", "') OR ('1'='1", "x' OR permit_type like '%", "%", "_", "\\", "abc\\", "a\nb\u202e😀", ") OR (", "*/ OR /*"])(
    "a hostile permit_type %j returns no rows instead of everything, and no 400",
    async (hostile) => {
      for (const city of PERMIT_CITIES) {
        const result = await provider().searchPermits(city, { permit_type: hostile, limit: 1000 });
        expect(result.rows).toEqual([]);
        expect(last().status).toBe(200);
      }
    },
  );

  it("refuses invalid filters before any request is sent", async () => {
    const before = sim.requests.length;
    const error = await providerError(provider().searchPermits("new_york", { issued_since: "2025-02-01", issued_until: "2025-01-01", limit: 10 }));
    expect(error.code).toBe("invalid_input");
    expect(sim.requests.length).toBe(before);
  });
});

describe("Socrata errors become provider_error with useful text", () => {
  it("400: names the SODA code; Socrata's message is kept for the operator's log under the error's reference", async () => {
    sim.behave({ fail: { status: 400, code: "query.soql.no-such-column", message: "No such column: issue_date" } });
    const error = await providerError(provider().searchPermits("chicago", { limit: 5 }));
    expect(error.code).toBe("provider_error");
    expect(error.message).toMatch(/rejected the query .*\(HTTP 400, query\.soql\.no-such-column; reference (perr_[0-9a-f]{8})\)/);
    expect(error.message).not.toContain("No such column");
    expect(error.report).toEqual({ provider: "socrata", reference: /reference (perr_\w+)/.exec(error.message)![1], said: "No such column: issue_date" });
  });

  it("400 from a really malformed query carries the simulator's own body", async () => {
    const dataset = PERMIT_DATASETS.chicago;
    const params = new URLSearchParams({ $where: "permit_type = 'unterminated" });
    const response = await fetch(permitRequestUrl(dataset, params, sim.baseUrl));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "query.compiler.malformed", error: true });
    const unknown = await fetch(permitRequestUrl(dataset, new URLSearchParams({ $where: "no_such = 'x'" }), sim.baseUrl));
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ code: "query.soql.no-such-column", error: true });
    const missing = await fetch(`${sim.baseUrl}/resource/zzzz-zzzz.json`);
    expect(missing.status).toBe(404);
  });

  it("401/403: a token problem", async () => {
    const wrong = await providerError(createSocrata({ baseUrl: sim.baseUrl, appToken: "not-the-token" }).searchPermits("austin", { limit: 1 }));
    expect(wrong.code).toBe("provider_error");
    expect(wrong.message).toMatch(/HTTP 403/);
    expect(wrong.message).toContain("SOCRATA_APP_TOKEN");
    expect(wrong.message).not.toContain("not-the-token");
  });

  it("404: dataset not found", async () => {
    sim.behave({ fail: { status: 404, message: "Cannot find dataset" } });
    const error = await providerError(provider().searchPermits("san_francisco", { limit: 1 }));
    expect(error.message).toMatch(/dataset not found/i);
    expect(error.message).toContain("i98e-djp9");
  });

  it("429: throttled, with Retry-After and the app-token advice", async () => {
    sim.behave({ fail: { status: 429, retryAfterSeconds: 42 } });
    const error = await providerError(createSocrata({ baseUrl: sim.baseUrl }).searchPermits("chicago", { limit: 1 }));
    expect(error.code).toBe("provider_error");
    expect(error.message).toMatch(/throttl/);
    expect(error.message).toContain("SOCRATA_APP_TOKEN");
    expect(error.message).toContain("42 s");
    expect(error.details.retryAfterSeconds).toBe(42);
  });

  it("429 from the shared pool when the simulator throttles token-less requests", async () => {
    const throttling = await startSocrataSimulator({ throttleWithoutTokenAfter: 1, throttleRetryAfterSeconds: 7 });
    extra.push(throttling);
    const socrata = createSocrata({ baseUrl: throttling.baseUrl });
    await socrata.searchPermits("austin", { limit: 1 });
    const error = await providerError(socrata.searchPermits("austin", { limit: 1 }));
    expect(last(throttling).status).toBe(429);
    expect(error.message).toContain("retry after 7 s");
  });

  it("5xx, network failures and timeouts: provider unavailable", async () => {
    sim.behave({ fail: { status: 500, message: "Internal error" } });
    const server = await providerError(provider().searchPermits("chicago", { limit: 1 }));
    expect(server.code).toBe("provider_error");
    expect(server.message).toMatch(/unavailable.*HTTP 500/);

    sim.behave({ latencyMs: 2_000 });
    const slow = await providerError(provider({ timeoutMs: 150 }).searchPermits("chicago", { limit: 1 }));
    expect(slow.message).toMatch(/unavailable.*did not answer within 150 ms/);

    const gone = await startSocrataSimulator();
    const origin = gone.baseUrl;
    await gone.close();
    const refused = await providerError(createSocrata({ baseUrl: origin }).searchPermits("chicago", { limit: 1 }));
    expect(refused.code).toBe("provider_error");
    expect(refused.message).toMatch(/unavailable: cannot reach/);
  });

  it("a caller's cancellation is passed through, not reported as a provider failure", async () => {
    sim.behave({ latencyMs: 600_000 }); // Socrata never answers in time: only the cancellation ends the request
    const controller = new AbortController();
    const sent = sim.requests.length;
    const pending = provider({ timeoutMs: 600_000 }).searchPermits("chicago", { limit: 1 }, controller.signal);
    await waitFor(() => sim.requests.length > sent); // the request is at Socrata
    controller.abort(new Error("cancelled by client"));
    await expect(pending).rejects.toThrow("cancelled by client");
  });
});

describe("ECN_SOCRATA_BASE_URL", () => {
  it("replaces scheme and host but keeps /resource/{id}.json", () => {
    const params = buildPermitQuery(PERMIT_DATASETS.new_york, { limit: 3 });
    expect(permitRequestUrl(PERMIT_DATASETS.new_york, params).toString()).toBe(`https://data.cityofnewyork.us/resource/rbx6-tga4.json?${params}`);
    expect(permitRequestUrl(PERMIT_DATASETS.new_york, params, "http://127.0.0.1:9999/").toString()).toBe(
      `http://127.0.0.1:9999/resource/rbx6-tga4.json?${params}`,
    );
  });

  it("is used for every request", async () => {
    const result = await provider().searchPermits("new_york", { limit: 2 });
    expect(new URL(result.sourceUrl).origin).toBe(sim.baseUrl);
    expect(last().path).toBe("/resource/rbx6-tga4.json");
    expect(() => createSocrata({ baseUrl: "not a url" })).toThrow(/ECN_SOCRATA_BASE_URL/);
  });
});
