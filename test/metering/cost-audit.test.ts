/**
 * The OpenRouter side of the cost audit over snapshots spread in time, as a
 * daily cron leaves them: the audit compares the key's usage between the
 * snapshots nearest the period's ends (a real ledger, the simulated
 * OpenRouter, its real key endpoint), and says so when it cannot.
 */
import { afterEach, describe, expect, it } from "vitest";
import { auditCosts, type CostAuditDeps } from "../../src/audit/cost-audit.js";
import { parseDecimal } from "../../src/money.js";
import { createOpenRouterAudit } from "../../src/providers/openrouter-audit.js";
import { startOpenRouterSimulator, type OpenRouterSimulator } from "../../src/simulator/openrouter.js";
import { holdRequest, usageEvent } from "../helpers/ledger-inputs.js";
import { tempLedger, type TestLedger } from "../helpers/store.js";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const ONE_PCT = parseDecimal("1");
const sims: OpenRouterSimulator[] = [];
afterEach(async () => {
  while (sims.length) await sims.pop()!.close();
});

/** A request billed by the simulator (sent straight to it), then recorded in the ledger as sent at `sentAt`. */
async function billedAndRecorded(sim: OpenRouterSimulator, ledger: TestLedger, orgId: string, costUsd: number, sentAt: number): Promise<void> {
  sim.behave({ costUsd });
  const response = await fetch(`${sim.baseUrl}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${sim.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "hello" }] }),
  });
  const { id } = (await response.json()) as { id: string };
  const placed = await ledger.placeHold(holdRequest(orgId, 1_000_000n, { now: sentAt }));
  if (placed.kind !== "placed") throw new Error("refused");
  const costNanoUsd = BigInt(Math.round(costUsd * 1e9));
  await ledger.settleCall(
    placed.call.id,
    [usageEvent(costNanoUsd / 8n, { providerRequestId: id, costNanoUsd, createdAt: sentAt })],
    { resultJson: "{}" },
    sentAt,
  );
}

async function setup() {
  const sim = await startOpenRouterSimulator();
  sims.push(sim);
  const { ledger } = await tempLedger();
  const org = await ledger.createOrg("acme", Date.now());
  await ledger.grantCredits(org.id, 100_000_000n, null, Date.now());
  const deps: CostAuditDeps = {
    ledger,
    openrouter: createOpenRouterAudit({ apiKey: sim.apiKey, baseUrl: sim.baseUrl }),
    apify: undefined,
    leadSignalActor: "apify/google-search-scraper",
    now: Date.now,
  };
  return { sim, ledger, orgId: org.id, deps };
}

describe("the OpenRouter cost audit over snapshots", () => {
  it("compares yesterday from the snapshots nearest its ends, as a daily audit leaves them", async () => {
    const { sim, ledger, orgId, deps } = await setup();
    const today = Date.now() - (Date.now() % DAY_MS);
    // Daily audits at 00:30: the key had been billed $0.001 by the first, $0.003 by the second.
    await billedAndRecorded(sim, ledger, orgId, 0.001, today - 2 * DAY_MS + 12 * HOUR_MS);
    await ledger.recordUsageSnapshot({ id: "us_a", provider: "openrouter", takenAt: today - 2 * DAY_MS + HOUR_MS / 2, usageNanoUsd: 0n, reason: "audit" });
    await ledger.recordUsageSnapshot({ id: "us_b", provider: "openrouter", takenAt: today - DAY_MS + HOUR_MS / 2, usageNanoUsd: 1_000_000n, reason: "audit" });
    await billedAndRecorded(sim, ledger, orgId, 0.002, today - DAY_MS + 12 * HOUR_MS);

    const report = await auditCosts(deps, { since: today - DAY_MS, until: today }, ["openrouter"], ONE_PCT);
    const [openrouter] = report.providers;
    expect(report.ok).toBe(true);
    expect(openrouter).toMatchObject({ status: "ok", ledger_usd: 0.002, provider_usd: 0.002, gap_usd: 0, unknown_to_provider: [], cost_mismatches: [] });
    // The start is the snapshot half an hour after --since, not the one a day before it.
    expect(openrouter!.compared?.from).toBe(new Date(today - DAY_MS + HOUR_MS / 2).toISOString());
    expect(openrouter!.notes.join("\n")).toMatch(/activity endpoint refused this key \(403/);
    // Today is outside the period: no usage_daily line; yesterday has no provider figure to judge.
    expect(openrouter!.days).toEqual([]);
  });

  it("says what it cannot compare: no earlier snapshot, or snapshots of another key", async () => {
    const { sim, ledger, orgId, deps } = await setup();
    await billedAndRecorded(sim, ledger, orgId, 0.001, Date.now());
    const since = Date.now() - (Date.now() % DAY_MS);
    const first = await auditCosts(deps, { since, until: null }, ["openrouter"], ONE_PCT);
    // No snapshot before this audit's own, but the period covers today, so the key's usage_daily is compared.
    expect(first.providers[0]).toMatchObject({ status: "ok", compared: null, days: [expect.objectContaining({ gap_usd: 0, within_tolerance: true })] });
    expect(first.providers[0]!.notes.join("\n")).toMatch(/No earlier snapshot of the key's usage/);
    // At --since exactly, so it is the nearest snapshot even just after midnight, when the first audit's own is minutes away.
    await ledger.recordUsageSnapshot({ id: "us_other_key", provider: "openrouter", takenAt: since, usageNanoUsd: 5_000_000_000n, reason: "server_start" });
    const other = await auditCosts(deps, { since, until: null }, ["openrouter"], ONE_PCT);
    expect(other.providers[0]!.notes.join("\n")).toMatch(/usage went down .* different keys/);
  });
});
