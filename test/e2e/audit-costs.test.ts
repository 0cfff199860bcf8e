/**
 * `ecn-mcp audit-costs` end to end: the built server makes every kind of
 * paid call against the simulators, whose key-usage, runs-list and
 * monthly-usage endpoints answer from their own request logs; the audit then
 * finds a gap of exactly zero. A request sent around the metering core, with
 * the provider's own key, shows up as unmetered spend and fails the audit.
 */
import { describe, expect, it } from "vitest";
import { match } from "../helpers/matchers.js";
import { cliRunner, countRows, PROFILE_ARGS, releaseOnceReferenced, rows, startStack, textOf, waitFor, type Stack } from "../helpers/stack.js";
import { assertInvariants } from "../helpers/store.js";

interface ProviderJson {
  provider: string;
  status: string;
  reason: string | null;
  ledger_usd: number | null;
  provider_usd: number | null;
  gap_usd: number | null;
  gap_pct: number | null;
  within_tolerance: boolean | null;
  days: { date: string; ledger_usd: number; provider_usd: number; gap_usd: number; within_tolerance: boolean | null; source: string; account_usd?: number }[];
  unmetered: { usd: number; requests: { id: string; usd: number | null; status?: string }[] };
  unknown_to_provider: unknown[];
  cost_mismatches: unknown[];
  estimated: { events: number; usd: number };
  open_calls: number;
  notes: string[];
}

interface ReportJson {
  ok: boolean;
  tolerance_pct: number;
  providers: ProviderJson[];
}

const DAY_MS = 86_400_000;
const yesterday = () => new Date(Date.now() - DAY_MS).toISOString().slice(0, 10);
const today = () => new Date().toISOString().slice(0, 10);
const nano = (usd: number) => BigInt(Math.round(usd * 1e9));

async function audit(stack: Stack, ...args: string[]): Promise<{ code: number; report: ReportJson; stdout: string }> {
  try {
    const { stdout } = await stack.cli("audit-costs", "--since", yesterday(), ...args);
    return { code: 0, report: args.includes("--json") ? (JSON.parse(stdout) as ReportJson) : ({} as ReportJson), stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return {
      code: failed.code,
      report: args.includes("--json") ? (JSON.parse(failed.stdout) as ReportJson) : ({} as ReportJson),
      stdout: failed.stdout + failed.stderr,
    };
  }
}

const byProvider = (report: ReportJson, provider: string) => report.providers.find((p) => p.provider === provider)!;

/** Every kind of call: settled, voided, failed mid-stream (charged), Apify runs that succeeded and failed, one reconciled after a crash. */
async function everyKindOfCall(stack: Stack): Promise<void> {
  stack.sim.behave({ costUsd: 0.0021 });
  expect((await stack.call("profile_draft", PROFILE_ARGS)).isError).toBeFalsy();
  stack.sim.behave({ fail: { status: 400, message: "Invalid request" } });
  expect(textOf(await stack.call("profile_draft", PROFILE_ARGS))).toMatch(/^provider_error: /);
  stack.sim.behave({ inBandError: "upstream overloaded", costUsd: 0.0009 });
  expect(textOf(await stack.call("profile_draft", PROFILE_ARGS))).toMatch(/^provider_error: /);
  expect(
    (
      await stack.call("context_pack_compile", {
        goal: "pitch storm repair to roofers",
        documents: [
          { title: "Roofs", content: "Roofs in Austin after hail." },
          { title: "Repair", content: "Storm repair in 48 hours." },
        ],
      })
    ).isError,
  ).toBeFalsy();
  expect((await stack.call("lead_signal_fetch", { query: "roofers Denver", max_results: 5 })).isError).toBeFalsy();
  stack.apify.behave({ outcome: "FAILED" });
  await stack.call("lead_signal_fetch", { query: "plumbers Austin", max_results: 5 });
  // The server dies after OpenRouter answered; reconcile settles the call at the cost OpenRouter reports.
  stack.env.ECN_FAILPOINT = "after_provider_response";
  await stack.restart();
  const referenced = releaseOnceReferenced(stack); // the reference is stored during the stream
  await expect(stack.call("profile_draft", PROFILE_ARGS)).rejects.toThrow();
  await referenced;
  delete stack.env.ECN_FAILPOINT;
  const reconciled = JSON.parse((await stack.cli("reconcile", "--json")).stdout) as { action: string }[];
  expect(reconciled.map((r) => r.action)).toEqual(["settled"]);
  await stack.restart();
  expect(await stack.ledger.openCalls()).toEqual([]);
  const states = (await rows(stack, "SELECT state, count(*) AS n FROM tool_calls GROUP BY state ORDER BY state")) as { state: string; n: bigint }[];
  expect(states).toEqual([
    { state: "settled", n: 6n },
    { state: "voided", n: 1n },
  ]);
}

describe("ecn-mcp audit-costs", () => {
  it("finds a gap of exactly zero after every kind of call, and a request sent around the metering core as unmetered spend", async () => {
    const stack = await startStack({ credits: "500" });
    await everyKindOfCall(stack);
    await assertInvariants(stack.ledger);

    const billedOpenRouter = stack.sim.paidRequests().reduce((sum, r) => sum + nano(r.billedUsd), 0n);
    const billedApify = stack.apify.startedRuns().reduce((sum, r) => sum + nano(r.usageTotalUsd), 0n);
    expect(billedOpenRouter).toBeGreaterThan(0n);
    expect(
      stack.apify
        .startedRuns()
        .map((r) => r.status)
        .sort(),
    ).toEqual(["FAILED", "SUCCEEDED"]);

    const clean = await audit(stack, "--json");
    expect(clean.code, clean.stdout).toBe(0);
    expect(clean.report.ok).toBe(true);
    const openrouter = byProvider(clean.report, "openrouter");
    expect(openrouter).toMatchObject({
      status: "ok",
      gap_usd: 0,
      gap_pct: 0,
      within_tolerance: true,
      unmetered: { usd: 0, requests: [] },
      unknown_to_provider: [],
      cost_mismatches: [],
      open_calls: 0,
    });
    expect(nano(openrouter.provider_usd!)).toBe(billedOpenRouter);
    expect(nano(openrouter.ledger_usd!)).toBe(billedOpenRouter);
    // Today from the key's usage_daily; yesterday only from the activity endpoint, which refuses an inference key.
    // (Runs straddling midnight UTC may split the days; every one must still agree.)
    expect(openrouter.days.length).toBeGreaterThan(0);
    for (const day of openrouter.days) expect(day).toMatchObject({ gap_usd: 0, within_tolerance: true, source: match.stringMatching(/usage_daily/) });
    expect(openrouter.notes.join("\n")).toMatch(/activity endpoint refused this key \(403: Only management keys can perform this operation\)/);
    const apify = byProvider(clean.report, "apify");
    expect(apify).toMatchObject({
      status: "ok",
      gap_usd: 0,
      within_tolerance: true,
      unmetered: { usd: 0, requests: [] },
      unknown_to_provider: [],
      cost_mismatches: [],
    });
    expect(nano(apify.provider_usd!)).toBe(billedApify);
    expect(apify.days.length).toBeGreaterThan(0);
    for (const day of apify.days) expect(day).toMatchObject({ gap_usd: 0, within_tolerance: true, account_usd: day.provider_usd });
    const table = await audit(stack);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/OpenRouter: ok/);
    expect(table.stdout).toMatch(/Apify: ok/);
    expect(table.stdout).toContain("The ledger agrees with the providers.");

    // Around the metering core, on purpose: the provider keys used directly.
    stack.sim.behave({ costUsd: 0.01 });
    const direct = await fetch(`${stack.sim.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.sim.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "not metered" }] }),
    });
    expect(direct.status).toBe(200);
    const started = (await (
      await fetch(`${stack.apify.baseUrl}/v2/acts/apify~google-search-scraper/runs`, {
        method: "POST",
        headers: { authorization: `Bearer ${stack.apify.token}`, "content-type": "application/json" },
        body: JSON.stringify({ queries: "not metered", maxPagesPerQuery: 2 }),
      })
    ).json()) as { data: { id: string } };
    await waitFor(() => stack.apify.runs.get(started.data.id)?.status === "SUCCEEDED");
    const unmeteredRun = stack.apify.runs.get(started.data.id)!;

    const caught = await audit(stack, "--json");
    expect(caught.code).toBe(5);
    expect(caught.report.ok).toBe(false);
    expect(byProvider(caught.report, "openrouter")).toMatchObject({
      status: "gap",
      gap_usd: 0.01,
      within_tolerance: false,
      unmetered: { usd: 0.01, requests: [] },
    });
    expect(byProvider(caught.report, "apify")).toMatchObject({
      status: "gap",
      gap_usd: unmeteredRun.usageTotalUsd,
      unmetered: {
        usd: unmeteredRun.usageTotalUsd,
        requests: [expect.objectContaining({ id: unmeteredRun.id, usd: unmeteredRun.usageTotalUsd, status: "SUCCEEDED" })],
      },
    });
    const only = await audit(stack, "--json", "--provider", "apify", "--tolerance-pct", "100");
    expect(only.report.providers.map((p) => p.provider)).toEqual(["apify"]);
    expect(only.code, "a run the ledger does not know fails whatever the tolerance").toBe(5);
    const shown = await audit(stack);
    expect(shown.stdout).toMatch(new RegExp(`unmetered spend .*must be 0\\): \\$${unmeteredRun.usageTotalUsd}\\s+${unmeteredRun.id} SUCCEEDED`));
    expect(shown.stdout).toContain("DISAGREE");
  });

  it("reports an unconfigured provider as skipped and one it cannot reach as an error", async () => {
    const stack = await startStack({ credits: "0", withoutOpenRouter: true });
    const cli = cliRunner({ ...stack.env, APIFY_BASE_URL: "http://127.0.0.1:9" });
    const failure = await cli("audit-costs", "--since", today(), "--json").then(
      () => null,
      (error: { code: number; stdout: string }) => error,
    );
    expect(failure?.code).toBe(5);
    const report = JSON.parse(failure!.stdout) as ReportJson;
    expect(byProvider(report, "openrouter")).toMatchObject({ status: "skipped", reason: match.stringMatching(/OPENROUTER_API_KEY is not set/) });
    expect(byProvider(report, "apify")).toMatchObject({ status: "error", reason: match.stringMatching(/could not be listed/) });
    const skipped = await stack.cli("audit-costs", "--since", today(), "--provider", "openrouter");
    expect(skipped.stdout).toMatch(/OpenRouter: skipped: OPENROUTER_API_KEY is not set/);
    await expect(stack.cli("audit-costs", "--since", today(), "--tolerance-pct", "lots")).rejects.toMatchObject({ code: 1 });
  });

  it("records OpenRouter's key usage at every server start, and a start it cannot record still serves", async () => {
    const stack = await startStack({ credits: "10" });
    // Taken before the server runs any tool call.
    await stack.call("get_wallet_balance");
    expect(await rows(stack, "SELECT reason FROM provider_usage_snapshots")).toEqual([{ reason: "server_start" }]);
    stack.sim.defaults.keyFailure = 503;
    await stack.restart();
    expect((await stack.call("profile_draft", PROFILE_ARGS)).isError).toBeFalsy();
    expect(stack.stderr()).toMatch(/could not record OpenRouter's key usage at start .*serving anyway/);
    expect(await countRows(stack, "provider_usage_snapshots")).toBe(1n);
  });

  it("answers the client's initialize before OpenRouter's key endpoint does, and runs no tool call before the start snapshot", async () => {
    let release!: () => void;
    const keyHeld = new Promise<void>((resolve) => (release = resolve));
    // startStack returns once the client's initialize is answered: with the key endpoint still holding its answer.
    const stack = await startStack({ credits: "10", openRouterDefaults: { keyHeld } });
    await waitFor(() => stack.sim.requests.some((r) => r.path.endsWith("/key")));
    expect(await countRows(stack, "provider_usage_snapshots")).toBe(0n);
    let answered = false;
    const call = stack.call("get_wallet_balance").then((result) => {
      answered = true;
      return result;
    });
    await stack.client.listTools(); // read after the call: the server has the call in hand
    expect(answered).toBe(false);
    release();
    expect((await call).structuredContent).toMatchObject({ balance_credits: 10 });
    expect(await rows(stack, "SELECT reason FROM provider_usage_snapshots")).toEqual([{ reason: "server_start" }]);
  });
});
