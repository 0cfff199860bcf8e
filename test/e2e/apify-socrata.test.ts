/**
 * lead_signal_fetch (Apify), permit_search (Socrata) and get_usage end to
 * end over stdio, against the loopback simulators.
 */
import { describe, expect, it } from "vitest";
import { match } from "../helpers/matchers.js";
import { rows, type Stack, startStack, textOf, waitFor } from "../helpers/stack.js";
import { assertInvariants } from "../helpers/temp-ledger.js";

const startRequests = (stack: Stack) => stack.apify.requests.filter((r) => r.method === "POST" && /\/runs$/.test(r.path));
const apifyEvents = async (stack: Stack) =>
  (await rows(stack, "SELECT provider_request_id AS ref FROM usage_events WHERE provider = 'apify'")) as { ref: string }[];

/** Every run the simulated Apify started has exactly one usage event, and vice versa. */
async function assertOneEventPerRun(stack: Stack): Promise<void> {
  expect((await apifyEvents(stack)).map((e) => e.ref).sort()).toEqual(
    stack.apify
      .startedRuns()
      .map((r) => r.id)
      .sort(),
  );
}

describe("lead_signal_fetch", () => {
  it("runs the actor capped by the hold and charges its usageTotalUsd x markup", async () => {
    const stack = await startStack({ credits: "100" });
    const result = await stack.call("lead_signal_fetch", { query: "dental clinics Austin hiring", max_results: 5 });
    expect(result.isError, textOf(result)).toBeFalsy();
    const out = result.structuredContent as { items: { title: string | null; url: string | null }[]; run_id: string; metering: Record<string, unknown> };
    const [run] = stack.apify.startedRuns();
    expect(out.run_id).toBe(run!.id);
    expect(out.items).toHaveLength(5);
    expect(out.items[0]).toMatchObject({ title: match.any(String), url: match.any(String) });
    // The floor (75 credits) at markup 1.25 caps the run at $0.60, above the actor's $0.50 minimum;
    // 5 results need one results page of 10, so maxItems (pages) is 1 and the answer is cut to 5.
    expect(startRequests(stack)[0]!.query).toMatchObject({ maxTotalChargeUsd: "0.6", maxItems: "1" });
    expect(startRequests(stack)[0]!.body).toMatchObject({ maxPagesPerQuery: 1, resultsPerPage: 10 });
    expect(run!.usageTotalUsd).toBeCloseTo(0.007, 9); // start 0.005 + 1 page x 0.002
    expect(out.metering).toMatchObject({ provider: "apify", feature: "lead_signal_fetch", cost_usd: 0.007, credits_charged: 0.875, balance_credits: 99.125 });
    await assertOneEventPerRun(stack);
    await assertInvariants(stack.ledger);
  });

  it("lets the caller set the cap with max_cost_credits, and the run stops there", async () => {
    const stack = await startStack({ credits: "100" });
    stack.apify.behave({ costPerItemUsd: 0.1 }); // an expensive page: the cap, not max_results, ends the run
    const result = await stack.call("lead_signal_fetch", { query: "roofers Denver", max_results: 100, max_cost_credits: 70 });
    expect(result.isError, textOf(result)).toBeFalsy();
    // 70 credits = $0.70 at markup 1.25 -> $0.56: the start event and five pages fit, a sixth would pass the cap.
    expect(startRequests(stack)[0]!.query).toMatchObject({ maxTotalChargeUsd: "0.56", maxItems: "10" });
    const out = result.structuredContent as { items: unknown[]; metering: { cost_usd: number; credits_charged: number } };
    expect(out.items).toHaveLength(50);
    expect(out.metering).toMatchObject({ cost_usd: 0.505, credits_charged: 63.125 });
    await assertOneEventPerRun(stack);
  });

  it("refuses a cap below the actor's minimum, naming the credits needed: nothing held, nothing sent", async () => {
    const stack = await startStack({ credits: "100" });
    const result = await stack.call("lead_signal_fetch", { query: "roofers Denver", max_results: 20, max_cost_credits: 40 });
    expect(textOf(result)).toMatch(
      /^invalid_input: max_cost_credits 40 is below what the Apify actor apify\/google-search-scraper accepts: .*\$0\.50, which is 62\.5 credits/,
    );
    expect(startRequests(stack)).toHaveLength(0);
    expect((await rows(stack, "SELECT count(*) AS n FROM tool_calls"))[0]).toEqual({ n: 0n });
  });

  it("refuses a run the wallet cannot cover at the actor's minimum, saying how much is needed", async () => {
    const stack = await startStack({ credits: "60" });
    await stack.cli("rate-card", "set", "lead_signal_fetch", "--floor", "10"); // a floor below the minimum is raised to it
    const result = await stack.call("lead_signal_fetch", { query: "roofers Denver", max_results: 5 });
    expect(textOf(result)).toMatch(/^insufficient_credits: .*62\.5/);
    expect(startRequests(stack)).toHaveLength(0);
  });

  it("reports progress while the run goes, only when a results page is added: each value above the last", async () => {
    const stack = await startStack({ credits: "100" });
    stack.apify.behave({ items: 3, durationMs: 300, holdAtItems: 1 }); // the run stands at one page of three until released
    const progress: { progress: number; message?: string }[] = [];
    const pending = stack.client.callTool({ name: "lead_signal_fetch", arguments: { query: "bakeries Portland", max_results: 30 } }, undefined, {
      onprogress: (p) => void progress.push(p),
      resetTimeoutOnProgress: true,
    });
    await waitFor(() => progress.some((p) => p.progress === 1));
    expect(progress.find((p) => p.progress === 1)!.message).toBe("RUNNING: 1 of 3 results pages so far");
    // While the run stands still the server keeps polling it; those polls bring no notification.
    const run = stack.apify.startedRuns()[0]!;
    const polls = () => stack.apify.requests.filter((r) => r.method === "GET" && r.path === `/v2/datasets/${run.datasetId}`).length;
    const seen = polls();
    await waitFor(() => polls() >= seen + 2);
    stack.apify.release();
    const result = await pending;
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    const values = progress.map((p) => p.progress);
    expect(values.slice(0, 2)).toEqual([0, 1]);
    for (let i = 1; i < values.length; i++) expect(values[i]!, `progress ${JSON.stringify(values)}`).toBeGreaterThan(values[i - 1]!);
  });

  it("aborts the run when the MCP request is cancelled, and charges what the aborted run cost", async () => {
    const stack = await startStack({ credits: "100" });
    stack.apify.behave({ durationMs: 300, items: 50, holdAtItems: 1 }); // it runs, one page in, until cancelled
    const controller = new AbortController();
    const pending = stack.client.callTool({ name: "lead_signal_fetch", arguments: { query: "gyms Miami" } }, undefined, { signal: controller.signal });
    await waitFor(async () => (await stack.ledger.openCalls())[0]?.providerRefs.length === 1); // the run is recorded
    await waitFor(() => stack.apify.startedRuns()[0]!.itemCount === 1);
    controller.abort("user cancelled");
    await expect(pending).rejects.toThrow();
    const runId = stack.apify.startedRuns()[0]!.id;
    await waitFor(() => stack.apify.requests.some((r) => r.path === `/v2/actor-runs/${runId}/abort`));
    await waitFor(async () => ((await rows(stack, "SELECT state FROM tool_calls"))[0] as { state: string }).state === "settled");
    const run = stack.apify.runs.get(runId)!;
    expect(run.status).toBe("ABORTED");
    const [event] = await stack.ledger.recentUsage({ orgId: stack.orgId, limit: 1 });
    expect(Number(event!.costNanoUsd) / 1e9).toBeCloseTo(run.usageTotalUsd, 9);
    expect(event!.costNanoUsd).toBeGreaterThan(0n);
    await assertOneEventPerRun(stack);
    await assertInvariants(stack.ledger);
  });

  it.each(["FAILED", "TIMED-OUT"] as const)("charges a %s run its real cost and says so", async (outcome) => {
    const stack = await startStack({ credits: "100" });
    stack.apify.behave({ outcome, items: 3, durationMs: 300 });
    const result = await stack.call("lead_signal_fetch", { query: "plumbers Boston" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(new RegExp(`^provider_error: the Apify run \\w+ ended ${outcome}.*charged: [\\d.]+ credits`));
    const run = stack.apify.startedRuns()[0]!;
    expect(run.usageTotalUsd).toBeGreaterThan(0);
    const wallet = await stack.ledger.getWallet(stack.orgId);
    expect(wallet.heldMicroCredits).toBe(0n);
    expect(wallet.balanceMicroCredits).toBeLessThan(100_000_000n);
    await assertOneEventPerRun(stack);
    await assertInvariants(stack.ledger);
  });

  it("voids the hold when Apify refuses to start the run", async () => {
    const stack = await startStack({ credits: "100" });
    stack.apify.behave({ failStart: { status: 402, type: "not-enough-usage-to-run-paid-actor", message: "Not enough usage" } });
    const result = await stack.call("lead_signal_fetch", { query: "florists Seattle" });
    expect(textOf(result)).toMatch(
      /^provider_error: Apify refused the run \(HTTP 402, not-enough-usage-to-run-paid-actor; reference perr_\w+\)\. Nothing was charged/,
    );
    expect(await stack.ledger.getWallet(stack.orgId)).toMatchObject({ balanceMicroCredits: 100_000_000n, heldMicroCredits: 0n });
    expect(stack.apify.startedRuns()).toHaveLength(0);
    await assertInvariants(stack.ledger);
  });

  it("answers provider_not_configured without an Apify token", async () => {
    const stack = await startStack({ env: { APIFY_API_TOKEN: "" } });
    const result = await stack.call("lead_signal_fetch", { query: "florists Seattle" });
    expect(textOf(result)).toMatch(/^provider_not_configured: .*APIFY_API_TOKEN/);
    expect(stack.apify.requests).toHaveLength(0);
  });
});

describe("permit_search", () => {
  it("returns normalised rows with the source, charges nothing and logs the query", async () => {
    const stack = await startStack({ credits: "3" });
    const result = await stack.call("permit_search", { city: "chicago", issued_since: "2024-01-01", limit: 5 });
    expect(result.isError, textOf(result)).toBeFalsy();
    const out = result.structuredContent as { rows: Record<string, unknown>[]; dataset: string; source_url: string };
    expect(out.rows.length).toBeGreaterThan(0);
    expect(out.rows.length).toBeLessThanOrEqual(5);
    expect(out.rows[0]).toMatchObject({ permit_number: match.any(String), issued_date: match.stringMatching(/^20(2[4-9])-/), raw: match.any(Object) });
    expect(out.source_url).toMatch(new RegExp(`^${stack.socrata.baseUrl}/resource/ydr8-5enu\\.json\\?`));
    expect(await stack.ledger.getWallet(stack.orgId)).toMatchObject({ balanceMicroCredits: 3_000_000n, heldMicroCredits: 0n });
    const log = await rows(stack, "SELECT source, dataset, row_count FROM data_query_log");
    expect(log).toEqual([{ source: "socrata", dataset: "ydr8-5enu", row_count: BigInt(out.rows.length) }]);
    expect((await rows(stack, "SELECT count(*) AS n FROM tool_calls"))[0]).toEqual({ n: 0n });
  });

  it("quotes a hostile filter value instead of letting it change the query", async () => {
    const stack = await startStack();
    const hostile = "x' OR 1=1 OR permit_type like '%";
    const result = await stack.call("permit_search", { city: "austin", permit_type: hostile });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect((result.structuredContent as { rows: unknown[] }).rows).toEqual([]);
    const where = stack.socrata.requests.at(-1)!.query.$where!;
    // One string literal: quotes doubled, LIKE wildcards in the value escaped.
    expect(where).toBe("upper(permit_type_desc) like upper('%x'' OR 1=1 OR permit\\_type like ''\\%%')");
    expect(stack.socrata.requests.at(-1)!.status).toBe(200);
  });

  it("turns a Socrata error into a clear tool error and logs nothing", async () => {
    const stack = await startStack();
    stack.socrata.behave({ fail: { status: 429, retryAfterSeconds: 30 } });
    const result = await stack.call("permit_search", { city: "san_francisco" });
    expect(textOf(result)).toMatch(/^provider_error: Socrata is throttling .*SOCRATA_APP_TOKEN.*retry after 30 s/);
    expect((await rows(stack, "SELECT count(*) AS n FROM data_query_log"))[0]).toEqual({ n: 0n });
  });

  it("searches New York's DOB NOW feed with a cost read as a number and a date range", async () => {
    const stack = await startStack();
    const result = await stack.call("permit_search", { city: "new_york", min_cost: 20_000, issued_since: "2024-01-01", limit: 100 });
    expect(result.isError, textOf(result)).toBeFalsy();
    const out = result.structuredContent as { rows: { cost: number | null; issued_date: string | null }[]; dataset: string };
    expect(out.dataset).toContain("rbx6-tga4");
    expect(out.rows.length).toBeGreaterThan(0);
    expect(out.rows.every((r) => r.cost! >= 20_000 && r.issued_date! >= "2024-01-01")).toBe(true);
    const request = stack.socrata.requests.at(-1)!;
    expect(request).toMatchObject({ path: "/resource/rbx6-tga4.json", status: 200 });
    expect(request.query.$where).toBe("issued_date >= '2024-01-01T00:00:00' AND estimated_job_costs::number >= 20000");
  });

  it("describes each city's filters and refuses an invalid one before any request", async () => {
    const stack = await startStack();
    const { tools } = await stack.client.listTools();
    const description = tools.find((t) => t.name === "permit_search")!.description!;
    for (const column of ["issue_date", "issued_date", "estimated_job_costs", "estimated_cost", "total_job_valuation", "work_type", "local calendar"]) {
      expect(description).toContain(column);
    }
    const result = await stack.call("permit_search", { city: "new_york", issued_since: "2025-02-01", issued_until: "2025-01-01" });
    expect(textOf(result)).toMatch(/^invalid_input: .*issued_until/);
    expect(stack.socrata.requests).toHaveLength(0);
  });
});

describe("get_usage", () => {
  it("lists the organisation's recent usage events and per-feature totals", async () => {
    const stack = await startStack({ credits: "100" });
    stack.sim.behave({ costUsd: 0.001 }, { costUsd: 0.002 });
    const args = { business_name: "A", notes: "A bakery in Portland with sourdough and a friendly tone." };
    await stack.call("profile_draft", args);
    await stack.call("profile_draft", args);
    await stack.call("lead_signal_fetch", { query: "bakeries", max_results: 2 });
    const usage = (await stack.call("get_usage", {})).structuredContent as {
      events: { feature: string; cost_usd: number }[];
      totals: { feature: string; events: number; cost_usd: number; credits_charged: number }[];
    };
    expect(usage.events.map((e) => e.feature)).toEqual(["lead_signal_fetch", "profile_draft", "profile_draft"]);
    expect(usage.totals).toEqual([
      { feature: "lead_signal_fetch", events: 1, cost_usd: 0.007, credits_charged: 0.875 },
      { feature: "profile_draft", events: 2, cost_usd: 0.003, credits_charged: 0.375 },
    ]);
    const filtered = (await stack.call("get_usage", { feature: "profile_draft", limit: 1 })).structuredContent as { events: unknown[]; totals: unknown[] };
    expect(filtered.events).toHaveLength(1);
    expect(filtered.totals).toHaveLength(1);
    const future = (await stack.call("get_usage", { since: "2999-01-01" })).structuredContent as { events: unknown[] };
    expect(future.events).toEqual([]);
  });
});
