/** `ecn-mcp check-margins` and `ecn-mcp usage` on real ledgers. */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { CLI, PROFILE_ARGS, startStack, type Stack } from "../helpers/stack.js";
import { sqlExec } from "../helpers/store.js";

const run = promisify(execFile);
/** A preload that reports the heap a process keeps as it writes (test/helpers/retained-memory.mjs). */
const RETAINED_MEMORY = pathToFileURL(resolve(import.meta.dirname, "../helpers/retained-memory.mjs")).href;
const QUALIFY = { lead: { name: "Dana Lee", company: "Acme" }, ideal_customer: "Dental practices in Texas with two or more locations" };

interface MarkupJson {
  markup: number;
  credit_usd_value: number;
  implied_margin_pct: number;
  calls: number;
  cost_usd: number;
  credits_charged: number;
  revenue_usd: number;
  margin_usd: number;
  margin_pct: number;
  below_markup_events: number;
}

/** A feature's line: the figures a markup line has, plus the feature's own. */
type FeatureJson = Omit<MarkupJson, "markup" | "credit_usd_value" | "implied_margin_pct"> & { feature: string; flags: string[]; markups: MarkupJson[] };

interface MarginJson {
  markup: number;
  implied_margin_pct: number;
  markups: MarkupJson[];
  features: FeatureJson[];
  total: { margin_pct: number; calls: number; credits_charged: number; markups: MarkupJson[] };
  losing_features: string[];
}

/** A lead_qualify call settled straight into the ledger at a given markup and charge (as a bad config or another tool might). */
async function settleDirectly(stack: Stack, markup: string, costNanoUsd: bigint, chargedMicroCredits: bigint, creditUsdValue = "0.01"): Promise<void> {
  const placed = await stack.ledger.placeHold({
    orgId: stack.orgId,
    feature: "lead_qualify",
    provider: "openrouter",
    deploymentMode: "hosted",
    holdMicroCredits: 1_000_000n,
    walletHoldMicroCredits: 1_000_000n,
    idempotencyKey: null,
    requestHash: "x",
    markup,
    creditUsdValue,
    ownerInstanceId: null,
    connectionId: null,
    apiKeyId: null,
    now: Date.now(),
  });
  if (placed.kind !== "placed") throw new Error("hold refused");
  await stack.ledger.settleCall(
    placed.call.id,
    [
      {
        provider: "openrouter",
        model: "openai/gpt-4o-mini",
        providerRequestId: `gen-direct-${markup}`,
        outcome: "ok",
        promptTokens: 1,
        completionTokens: 1,
        totalTokens: 2,
        costNanoUsd,
        costSource: "reported",
        markup,
        creditUsdValue,
        chargedMicroCredits,
        meteredMicroCredits: chargedMicroCredits,
        estimated: false,
        priceUnknown: false,
        createdAt: Date.now(),
      },
    ],
    { resultJson: "{}" },
    Date.now(),
  );
}

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: { code: number; stdout: string }) => error,
  );

describe("check-margins", () => {
  it("reports exactly the configured margin: 20% of revenue at markup 1.25", async () => {
    const stack = await startStack({ credits: "100" });
    // Costs that divide evenly, so no rounding up adds to the margin.
    stack.sim.behave({ costUsd: 0.002 }, { costUsd: 0.004 }, { costUsd: 0.0008 });
    await stack.call("profile_draft", PROFILE_ARGS);
    await stack.call("profile_draft", PROFILE_ARGS);
    await stack.call("lead_qualify", QUALIFY);
    const { stdout } = await stack.cli("check-margins", "--format", "json");
    const report = JSON.parse(stdout) as MarginJson;
    expect(report.implied_margin_pct).toBe(20);
    expect(report.features).toEqual([
      expect.objectContaining({ feature: "lead_qualify", calls: 1, cost_usd: 0.0008, revenue_usd: 0.001, margin_usd: 0.0002, margin_pct: 20, flags: [] }),
      expect.objectContaining({ feature: "profile_draft", calls: 2, cost_usd: 0.006, revenue_usd: 0.0075, margin_usd: 0.0015, margin_pct: 20, flags: [] }),
    ]);
    expect(report.total).toMatchObject({ calls: 3, margin_pct: 20 });
    expect(report.losing_features).toEqual([]);
    const table = await stack.cli("check-margins");
    expect(table.stdout).toMatch(/profile_draft.*20%/);
  });

  it("flags a loss-making feature and exits non-zero, for cron", async () => {
    const stack = await startStack({ credits: "100" });
    stack.sim.behave({ costUsd: 0.002 });
    await stack.call("profile_draft", PROFILE_ARGS);
    // A call charged below cost (a markup of 0.8 set by mistake, written straight to the ledger).
    await settleDirectly(stack, "0.8", 10_000_000n, 800_000n);
    const failure = await failureOf(stack.cli("check-margins", "--json"));
    expect(failure?.code).toBe(3);
    const report = JSON.parse(failure!.stdout) as MarginJson;
    expect(report.losing_features).toEqual(["lead_qualify"]);
    expect(report.features.find((f) => f.feature === "lead_qualify")).toMatchObject({ margin_usd: -0.002, flags: ["loss", "below_markup"] });
    expect(report.features.find((f) => f.feature === "profile_draft")?.flags).toEqual([]);
    // Narrowing the window to before the loss clears it.
    const earlier = await stack.cli("check-margins", "--json", "--until", "2000-01-01");
    expect(JSON.parse(earlier.stdout)).toMatchObject({ features: [], losing_features: [] });
  });
});

describe("the margin table", () => {
  it("fits 100 columns, wrapping long markups and flags; --wide has every column; the JSON keeps every figure", async () => {
    const stack = await startStack({ credits: "100" });
    stack.sim.behave({ costUsd: 0.002 });
    await stack.call("profile_draft", PROFILE_ARGS);
    // A loss (charged below cost), and a charge at another markup and credit value: long flags, a long markup, mixed rows.
    await settleDirectly(stack, "0.8", 10_000_000n, 800_000n);
    await settleDirectly(stack, "2", 1_000_000n, 160_000n, "0.0125");
    const usual = (await failureOf(stack.cli("check-margins")))!;
    expect(usual.code).toBe(3);
    const lines = usual.stdout.trimEnd().split("\n");
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100);
    expect(usual.stdout).toMatch(/lead_qualify\s*│\s*mixed/);
    // The long markup wraps between words, never cut short.
    expect(usual.stdout).toMatch(/at ×2 @/);
    expect(usual.stdout).toContain("$0.0125/credit");
    expect(usual.stdout).not.toContain("…");
    expect(usual.stdout).toContain("LOSS on: lead_qualify");
    expect(usual.stdout).not.toContain("over hold");

    const wide = (await failureOf(stack.cli("check-margins", "--wide")))!;
    expect(wide.code).toBe(3);
    const head = wide.stdout.split("\n").find((l) => l.includes("feature"))!;
    for (const column of ["credits", "estimated", "over hold", "below markup", "unsettled", "flags"]) expect(head).toContain(column);
    expect(Math.max(...wide.stdout.split("\n").map((l) => l.length))).toBeGreaterThan(100);

    const json = JSON.parse((await failureOf(stack.cli("check-margins", "--format", "json", "--wide")))!.stdout) as MarginJson;
    expect(json.features.find((f) => f.feature === "lead_qualify")).toMatchObject({ calls: 2, flags: ["loss", "below_markup"], below_markup_events: 1 });
  });
});

describe("check-margins judges each event by its own markup", () => {
  it("a markup raised from 1.25 to 2 flags nothing: each call was charged exactly at the markup in force when it ran", async () => {
    const stack = await startStack({ credits: "100" });
    stack.sim.behave({ costUsd: 0.002 });
    await stack.call("profile_draft", PROFILE_ARGS); // at the default markup, 1.25
    stack.env.ECN_MARKUP = "2";
    await stack.restart();
    stack.sim.behave({ costUsd: 0.002 });
    await stack.call("profile_draft", PROFILE_ARGS); // at 2
    const { stdout } = await stack.cli("check-margins", "--json"); // run with ECN_MARKUP=2, as the operator would now
    const report = JSON.parse(stdout) as MarginJson;
    const at125 = {
      markup: 1.25,
      credit_usd_value: 0.01,
      implied_margin_pct: 20,
      calls: 1,
      cost_usd: 0.002,
      credits_charged: 0.25,
      revenue_usd: 0.0025,
      margin_usd: 0.0005,
      margin_pct: 20,
      below_markup_events: 0,
    };
    const at2 = {
      markup: 2,
      credit_usd_value: 0.01,
      implied_margin_pct: 50,
      calls: 1,
      cost_usd: 0.002,
      credits_charged: 0.4,
      revenue_usd: 0.004,
      margin_usd: 0.002,
      margin_pct: 50,
      below_markup_events: 0,
    };
    expect(report.markup).toBe(2);
    expect(report.markups).toEqual([expect.objectContaining(at125), expect.objectContaining(at2)]);
    expect(report.features).toEqual([
      expect.objectContaining({
        feature: "profile_draft",
        calls: 2,
        cost_usd: 0.004,
        credits_charged: 0.65,
        revenue_usd: 0.0065,
        margin_usd: 0.0025,
        margin_pct: 38.46,
        below_markup_events: 0,
        flags: [],
        markups: [expect.objectContaining(at125), expect.objectContaining(at2)],
      }),
    ]);
    // The report's credits are the wallet's, to the micro-credit.
    expect(report.total.credits_charged).toBe(0.65);
    expect(JSON.parse((await stack.cli("wallet", "--org", "e2e", "--json")).stdout)).toMatchObject({ balance_credits: 99.35 });
    // The same at the old markup: the configuration does not change the verdict.
    delete stack.env.ECN_MARKUP;
    expect((JSON.parse((await stack.cli("check-margins", "--json")).stdout) as MarginJson).features[0]!.flags).toEqual([]);
    const table = (await stack.cli("check-margins")).stdout;
    expect(table).toMatch(/profile_draft\s*│?\s*mixed/);
    expect(table).toMatch(/at ×1\.25.*20%/);
    expect(table).toMatch(/at ×2\b.*50%/);
    expect(table).toContain("Each event is judged by the markup it was charged at.");
  });

  it("flags an event charged below its own markup, without calling it a loss", async () => {
    const stack = await startStack({ credits: "100" });
    // Markup 2 recorded, but charged as if 1.5: above cost, below its markup.
    await settleDirectly(stack, "2", 10_000_000n, 1_500_000n);
    const { stdout } = await stack.cli("check-margins", "--json");
    const report = JSON.parse(stdout) as MarginJson;
    expect(report.features).toEqual([
      expect.objectContaining({
        feature: "lead_qualify",
        margin_usd: 0.005,
        below_markup_events: 1,
        flags: ["below_markup"],
        markups: [expect.objectContaining({ markup: 2, below_markup_events: 1 })],
      }),
    ]);
    expect(report.losing_features).toEqual([]);
  });
});

describe("usage export", () => {
  it("exports usage events as CSV, JSON and a table, filtered", async () => {
    const stack = await startStack({ credits: "100" });
    stack.sim.behave({ costUsd: 0.002 }, { costUsd: 0.001 });
    await stack.call("profile_draft", PROFILE_ARGS);
    await stack.call("lead_qualify", QUALIFY);
    const csv = (await stack.cli("usage", "--format", "csv")).stdout.trim().split("\n");
    expect(csv[0]).toBe(
      "settled_at,id,tool_call_id,org_id,feature,provider,model,provider_request_id,outcome,prompt_tokens,completion_tokens,cost_usd,credits_charged,over_hold,estimated",
    );
    expect(csv).toHaveLength(3);
    expect(csv[1]).toMatch(/,profile_draft,openrouter,openai\/gpt-4o-mini,gen-[^,]+,ok,\d+,\d+,0\.002,0\.25,false,false$/);
    const json = JSON.parse((await stack.cli("usage", "--format", "json", "--feature", "lead_qualify", "--org", "e2e")).stdout) as {
      feature: string;
      cost_usd: number;
    }[];
    expect(json).toEqual([expect.objectContaining({ feature: "lead_qualify", cost_usd: 0.001 })]);
    expect(JSON.parse((await stack.cli("usage", "--json", "--since", "2999-01-01")).stdout)).toEqual([]);
    const table = await stack.cli("usage");
    expect(table.stdout.split("\n")[0]).toMatch(/^settled_at\s+id\s+/);
    expect(table.stderr).toContain("2 usage event(s)");
  });

  it("streams a large export in constant memory", async () => {
    const stack = await startStack({ credits: "1" });
    const now = Date.now();
    await sqlExec(
      stack.ledger,
      `INSERT INTO tool_calls (id, org_id, feature, provider, state, deployment_mode, hold_micro_credits, wallet_hold_micro_credits, request_hash, created_at)
         VALUES ('tc_bulk', '${stack.orgId}', 'profile_draft', 'openrouter', 'settled', 'hosted', 0, 0, 'bulk', ${now});`,
    );
    const addEvents = (from: number, to: number) =>
      sqlExec(
        stack.ledger,
        `WITH RECURSIVE n(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM n WHERE i < ${to})
         INSERT INTO usage_events (id, tool_call_id, org_id, feature, provider, model, provider_request_id, outcome, cost_nano_usd, cost_source,
                                   markup, credit_usd_value, charged_micro_credits, metered_micro_credits, created_at, settled_at)
           SELECT 'ue_bulk_' || i, 'tc_bulk', '${stack.orgId}', 'profile_draft', 'openrouter', 'openai/gpt-4o-mini', 'gen-' || i, 'ok',
                  1000, 'reported', '1.25', '0.01', 125, 125, ${now} + i, ${now} + i FROM n;`,
      );
    /** Exports every event as CSV; returns the most heap the process kept, sampled after a full GC every 2,000 lines written. */
    const retainedWhileExporting = async (rows: number) => {
      const { stdout, stderr } = await run(process.execPath, ["--expose-gc", "--import", RETAINED_MEMORY, CLI, "usage", "--format", "csv"], {
        env: stack.env,
        maxBuffer: 512 * 1024 * 1024,
      });
      const lines = stdout.trimEnd().split("\n");
      expect(lines).toHaveLength(rows + 1);
      expect(lines[rows]).toContain(`ue_bulk_${rows}`);
      const report = /retained-memory (\{.*\})/.exec(stderr)?.[1];
      expect(report, stderr).toBeDefined();
      return (JSON.parse(report!) as { peakHeapBytes: number }).peakHeapBytes;
    };
    await addEvents(1, 10_000);
    const small = await retainedWhileExporting(10_000);
    await addEvents(10_001, 60_000);
    const large = await retainedWhileExporting(60_000);
    // Held in memory, an event costs about 700 bytes (measured by buffering the export); a stream keeps a page, whatever the total (about 15 bytes an event).
    const perRow = (large - small) / 50_000;
    expect(perRow, `heap kept: ${small} bytes exporting 10,000 events, ${large} bytes exporting 60,000`).toBeLessThan(128);
  });
});
