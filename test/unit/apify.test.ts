/**
 * The Apify adapter against the loopback Apify simulator, through the real
 * apify-client: what a run returns and costs, what the start request carries,
 * cancellation, failures and their billing class, and that nothing reaches stdout.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApify, type ApifyProgress, type ApifyProvider, type ApifyRunRequest } from "../../src/providers/apify.js";
import { ProviderFailure } from "../../src/providers/failure.js";
import { startApifySimulator, type ApifySimulator } from "../../src/simulator/apify.js";
import { listenLoopback } from "../../src/simulator/http.js";
import { match } from "../helpers/matchers.js";

let sim: ApifySimulator;
let apify: ApifyProvider;

beforeAll(async () => {
  sim = await startApifySimulator();
  apify = createApify({ token: sim.token, baseUrl: sim.baseUrl, readRetryDelayMs: 10 });
});
afterAll(() => sim.close());

const ACTOR = "apify/google-search-scraper";

function request(overrides: Partial<ApifyRunRequest> = {}): ApifyRunRequest & { progress: ApifyProgress[]; startedIds: string[] } {
  const progress: ApifyProgress[] = [];
  const startedIds: string[] = [];
  return {
    actorId: ACTOR,
    input: { queries: "metered mcp servers", resultsPerPage: 10 },
    maxItems: 50,
    maxTotalChargeUsd: 1,
    signal: new AbortController().signal,
    onRunStarted: async (id) => void startedIds.push(id),
    onProgress: async (p) => void progress.push(p),
    progressIntervalMs: 50,
    progress,
    startedIds,
    ...overrides,
  };
}

const startCalls = () => sim.requests.filter((r) => r.method === "POST" && /^\/v2\/act(or)?s\/[^/]+\/runs$/.test(r.path));

describe("Apify adapter", () => {
  it("returns the run's items and charges exactly usageTotalUsd, reporting the run id first and progress while it goes", async () => {
    // The run stands at half way until three progress reports have come, however slow the polls.
    sim.behave({ durationMs: 600, items: 10, holdAtItems: 5 });
    let statusWhenStarted: string | undefined;
    const req = request({
      onRunStarted: async (id) => {
        statusWhenStarted = sim.runs.get(id)?.status;
      },
    });
    req.onProgress = async (p) => {
      req.progress.push(p);
      if (req.progress.length >= 3) sim.release();
    };
    const write = vi.spyOn(process.stdout, "write");
    let result;
    try {
      result = await apify.runActor(req);
    } finally {
      write.mockRestore();
    }
    expect(write).not.toHaveBeenCalled();
    const run = sim.runs.get(result.runId)!;
    expect(statusWhenStarted).toMatch(/^(READY|RUNNING)$/);
    expect(result.status).toBe("SUCCEEDED");
    expect(run.status).toBe("SUCCEEDED");
    expect(run.usageTotalUsd).toBe(0.025); // 0.005 start + 10 x 0.002
    expect(result.cost).toEqual({ kind: "known", nanoUsd: 25_000_000n });
    expect(result.itemCount).toBe(10);
    expect(result.items).toHaveLength(10);
    // One item per results page, as Google Search Scraper writes them.
    expect(result.items[0]).toMatchObject({ searchQuery: { term: "metered mcp servers", page: 1 }, hasNextPage: true });
    expect(result.items[0]!.organicResults).toHaveLength(10);
    expect((result.items[0]!.organicResults as unknown[])[0]).toEqual({
      title: "Result 1 for metered mcp servers",
      url: "https://example.com/metered-mcp-servers/1",
      displayedUrl: match.any(String),
      description: match.any(String),
      position: 1,
    });
    expect(result.items[0]).not.toHaveProperty("#debug");
    expect(req.progress.length).toBeGreaterThanOrEqual(3);
    expect(req.progress.every((p) => p.status === "RUNNING" || p.status === "READY")).toBe(true);
    const counts = req.progress.map((p) => p.itemCount);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(Math.max(...counts)).toBeGreaterThan(0);
    const start = startCalls().at(-1)!;
    expect(start.path).toBe("/v2/actors/apify~google-search-scraper/runs");
    expect(start.body).toEqual(req.input);
    expect(start.authorization).toBe(`Bearer ${sim.token}`);
  });

  it("sends maxItems and maxTotalChargeUsd as start options, and the charge cap bounds the cost", async () => {
    sim.behave({ items: 10, minimalMaxTotalChargeUsd: null }); // an actor without a minimum cap
    const result = await apify.runActor(request({ maxItems: 50, maxTotalChargeUsd: 0.013 }));
    const start = startCalls().at(-1)!;
    expect(start.query).toMatchObject({ maxItems: "50", maxTotalChargeUsd: "0.013" });
    expect(sim.runs.get(result.runId)!.options).toEqual({ maxItems: 50, maxTotalChargeUsd: 0.013 });
    // 0.005 + 4 x 0.002 = 0.013: a fifth item would pass the cap.
    expect(result.status).toBe("SUCCEEDED");
    expect(result.statusMessage).toMatch(/maximum total charge/);
    expect(result.cost).toEqual({ kind: "known", nanoUsd: 13_000_000n });
    expect(result.items).toHaveLength(4);
  });

  it("maxItems bounds the pages charged and read, not what the run delivers", async () => {
    sim.behave({ items: 10 });
    const result = await apify.runActor(request({ maxItems: 3 }));
    expect(result.items.map((i) => (i.searchQuery as { page: number }).page)).toEqual([1, 2, 3]);
    expect(result.itemCount).toBe(4); // one page more than maxItems, uncharged, as the platform may deliver
    expect(result.cost).toEqual({ kind: "known", nanoUsd: 11_000_000n });
  });

  it("a cap below the actor's minimum is refused by Apify before any run, and cost nothing", async () => {
    const before = sim.runs.size;
    const failure = await apify.runActor(request({ maxTotalChargeUsd: 0.4 })).catch((e: unknown) => e);
    expect(failure).toMatchObject({
      billing: "none",
      message: match.stringMatching(/^Apify refused the run \(HTTP 400, invalid-input; reference perr_[0-9a-f]{8}\)$/),
      details: { report: { provider: "apify", said: match.stringMatching(/Maximum cost per run is less than the allowed minimum of \$0\.50/) } },
    });
    expect(sim.runs.size).toBe(before);
  });

  it("reads the actor's minimum cap from its pricing info, once", async () => {
    expect(await apify.minimumChargeNanoUsd("apify/google-search-scraper")).toBe(500_000_000n);
    expect(await apify.minimumChargeNanoUsd("apify/google-search-scraper")).toBe(500_000_000n);
    expect(sim.requests.filter((r) => r.method === "GET" && /^\/v2\/act(or)?s\/apify~google-search-scraper$/.test(r.path))).toHaveLength(1);
    sim.defaults.minimalMaxTotalChargeUsd = null;
    expect(await apify.minimumChargeNanoUsd("someone/free-actor")).toBeNull();
    delete sim.defaults.minimalMaxTotalChargeUsd;
  });

  it("a finished run without usageTotalUsd has a missing cost, never $0", async () => {
    sim.behave({ items: 2, durationMs: 50, reportedUsageTotalUsd: undefined });
    const result = await apify.runActor(request());
    expect(result.cost).toEqual({ kind: "missing" });
    expect(await apify.costOf(result.runId)).toMatchObject({ kind: "unknown", why: match.stringMatching(/no usageTotalUsd/) });
  });

  it("aborting the signal aborts the run on Apify and returns ABORTED with the partial cost", async () => {
    sim.behave({ durationMs: 3000, items: 30, holdAtItems: 3 }); // it stands at three pages until aborted
    const controller = new AbortController();
    const req = request({
      signal: controller.signal,
      onProgress: async (p) => {
        if (p.itemCount >= 3) controller.abort();
      },
    });
    const result = await apify.runActor(req);
    const run = sim.runs.get(result.runId)!;
    expect(sim.requests.some((r) => r.method === "POST" && r.path === `/v2/actor-runs/${result.runId}/abort`)).toBe(true);
    expect(run.aborted).toBe(true);
    expect(result.status).toBe("ABORTED");
    expect(run.status).toBe("ABORTED");
    expect(run.itemCount).toBeGreaterThanOrEqual(3);
    expect(run.itemCount).toBeLessThan(30);
    expect(result.cost).toEqual({ kind: "known", nanoUsd: 5_000_000n + BigInt(run.itemCount) * 2_000_000n });
    expect(result.items).toHaveLength(run.itemCount);
  });

  it.each(["FAILED", "TIMED-OUT"] as const)("a %s run is a result with its real cost, not an exception", async (outcome) => {
    sim.behave({ outcome, items: 3, durationMs: 100 });
    const result = await apify.runActor(request());
    expect(result.status).toBe(outcome);
    expect(result.cost).toEqual({ kind: "known", nanoUsd: 11_000_000n });
    expect(sim.runs.get(result.runId)!.status).toBe(outcome);
    expect(result.items).toHaveLength(3);
  });

  it("a 402 on start is a ProviderFailure that cost nothing, and no run exists", async () => {
    const before = sim.startedRuns().length;
    sim.behave({ failStart: { status: 402, type: "not-enough-usage-to-run-paid-actor", message: "You do not have enough usage left" } });
    const failure = await apify.runActor(request()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ProviderFailure);
    expect(failure).toMatchObject({
      provider: "apify",
      billing: "none",
      details: { status: 402, report: { provider: "apify", said: "You do not have enough usage left" } },
      // Apify's words are provider text: they go to the operator's log under the reference, not into our message.
      message: match.stringMatching(/^Apify refused the run \(HTTP 402, not-enough-usage-to-run-paid-actor; reference perr_[0-9a-f]{8}\)$/),
    });
    expect(sim.startedRuns().length).toBe(before);
    expect(startCalls().at(-1)!.status).toBe(402);
  });

  it("a bad token is refused (401) and cost nothing; the start was not retried", async () => {
    const calls = startCalls().length;
    const other = createApify({ token: "apify_api_wrong", baseUrl: sim.baseUrl });
    await expect(other.runActor(request())).rejects.toMatchObject({ billing: "none", details: { status: 401 } });
    expect(startCalls().length).toBe(calls + 1);
    expect(startCalls().at(-1)!.status).toBe(401);
  });

  it("a 5xx on start is not retried (a retried POST could start two paid runs)", async () => {
    sim.behave({ failStart: { status: 503, type: "server-error", message: "Service unavailable" } });
    const calls = startCalls().length;
    await expect(apify.runActor(request())).rejects.toMatchObject({ billing: "none", details: { status: 503 } });
    expect(startCalls().length).toBe(calls + 1);
  });

  it("a refused connection on start cost nothing", async () => {
    const gone = await listenLoopback(() => undefined);
    await gone.close();
    const offline = createApify({ token: "t", baseUrl: gone.origin });
    await expect(offline.runActor(request())).rejects.toMatchObject({ billing: "none", message: match.stringMatching(/ECONNREFUSED/) });
  });

  it("a large input reaches Apify compressed and arrives intact", async () => {
    const input = { queries: "big input", notes: "x".repeat(5000), list: Array.from({ length: 50 }, (_, i) => `entry ${i}`) };
    const result = await apify.runActor(request({ input }));
    const start = startCalls().at(-1)!;
    expect(["br", "gzip"]).toContain(start.contentEncoding);
    expect(start.body).toEqual(input);
    expect(sim.runs.get(result.runId)!.input).toEqual(input);
  });

  it("when Apify goes away mid-run the failure keeps the run id and says the cost is unknown", async () => {
    const lonely = await startApifySimulator();
    lonely.behave({ durationMs: 5000, holdAtItems: 0 }); // still running when Apify goes away
    const provider = createApify({ token: lonely.token, baseUrl: lonely.baseUrl, readRetryDelayMs: 5 });
    let runId = "";
    const failure = await provider
      .runActor(request({ onRunStarted: async (id) => void (runId = id), onProgress: async () => void (await lonely.close()) }))
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ProviderFailure);
    expect(failure).toMatchObject({ billing: "unknown", details: { providerRef: runId } });
    expect(runId).not.toBe("");
    expect(String((failure as Error).message)).not.toContain(lonely.token);
  });

  it("if recording the run id fails, the run is aborted and the failure carries its id", async () => {
    sim.behave({ durationMs: 3000, holdAtItems: 0 }); // still running when the abort comes
    const failure = await apify.runActor(request({ onRunStarted: async () => Promise.reject(new Error("ledger is locked")) })).catch((e: unknown) => e);
    expect(failure).toMatchObject({ billing: "unknown", message: match.stringMatching(/ledger is locked/) });
    const runId = (failure as ProviderFailure).details.providerRef!;
    expect(sim.runs.get(runId)!.aborted).toBe(true);
  });

  it("costOf gives a finished run's cost, and says when a run is unknown", async () => {
    sim.behave({ items: 2, durationMs: 50 });
    const result = await apify.runActor(request());
    expect(await apify.costOf(result.runId)).toEqual({
      kind: "known",
      nanoUsd: 9_000_000n,
      model: null,
      usage: { promptTokens: null, completionTokens: null, totalTokens: null },
    });
    expect(await apify.costOf("noSuchRun1234567")).toMatchObject({ kind: "not_found" });
  });

  it("abandon aborts a run still going, waits for its final state and prices it", async () => {
    sim.behave({ durationMs: 60_000 });
    let runId = "";
    const cancel = new AbortController();
    const following = apify.runActor(request({ signal: cancel.signal, onRunStarted: async (id) => void (runId = id) })).catch(() => undefined);
    while (!runId) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await apify.costOf(runId)).toMatchObject({ kind: "running" });
    const priced = await apify.abandon(runId, 10);
    const run = sim.runs.get(runId)!;
    expect(run.status).toBe("ABORTED");
    expect(priced).toMatchObject({ kind: "known" });
    expect(Number((priced as { nanoUsd: bigint }).nanoUsd) / 1e9).toBeCloseTo(run.usageTotalUsd, 9);
    cancel.abort();
    await following;
  });
});

describe("Apify simulator", () => {
  const api = (path: string, init: RequestInit = {}, token = sim.token) =>
    fetch(`${sim.baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers } });

  it("answers Apify's error bodies", async () => {
    const unauthorized = await api("/v2/actor-runs/x", {}, "wrong");
    expect(unauthorized.status).toBe(401);
    expect(await unauthorized.json()).toEqual({ error: { type: "invalid-token", message: match.any(String) } });
    const missing = await api("/v2/actor-runs/noSuchRun1234567");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { type: "record-not-found", message: match.any(String) } });
  });

  it("serves the legacy /acts path, holds waitForFinish polls, and pages items as a bare array", async () => {
    sim.behave({ items: 5, durationMs: 200 });
    const started = await api("/v2/acts/apify~google-search-scraper/runs?maxItems=4", { method: "POST", body: JSON.stringify({ query: "q" }) });
    expect(started.status).toBe(201);
    const run = ((await started.json()) as { data: Record<string, unknown> }).data;
    expect(run).toMatchObject({ status: "READY", finishedAt: null, options: { maxItems: 4 }, pricingInfo: { pricingModel: "PAY_PER_EVENT" } });
    // Held until the run finished (a poll answered early would still say READY or RUNNING), and
    // answered then: were the whole minute waited out, the test would fail at its 30 s timeout.
    const polled = ((await (await api(`/v2/actor-runs/${String(run.id)}?waitForFinish=60`)).json()) as { data: Record<string, unknown> }).data;
    expect(polled).toMatchObject({ status: "SUCCEEDED", usageTotalUsd: 0.013, chargedEventCounts: { "actor-start": 1, "result-page": 4 } });
    expect(typeof polled.finishedAt).toBe("string");
    const page = await api(`/v2/datasets/${String(run.defaultDatasetId)}/items?offset=1&limit=2&clean=1`);
    expect(page.headers.get("x-apify-pagination-total")).toBe("5"); // 4 charged pages and one more
    expect(page.headers.get("x-apify-pagination-offset")).toBe("1");
    expect(page.headers.get("x-apify-pagination-count")).toBe("2");
    const items = (await page.json()) as { searchQuery: { page: number } }[];
    expect(items.map((i) => i.searchQuery.page)).toEqual([2, 3]);
  }, 30_000);
});
