/**
 * A seeded simulation: thousands of random steps (grants, budgets, paid calls
 * with random provider outcomes, crashes at random failpoints, reconciles,
 * and resolutions written straight to the ledger with random mixes of
 * events, costs, models and markups) against the real ledger, the real metering core, the real openai and
 * apify-client packages and the loopback simulators. Every invariant is
 * checked after every step; a failure names the seed that reproduces it.
 *
 * Every random choice (the step, the provider's behaviour, the cost it
 * reports) comes from the seed, so a failing seed replays the same steps:
 *
 *   ECN_SIM_SEED=1234 ECN_SIM_STEPS=20000 npx vitest run test/sim
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EcnError } from "../../src/errors.js";
import { TEST_SEED } from "../helpers/seeded.js";
import { waitFor } from "../helpers/wait.js";
import { AT_ONCE } from "../helpers/in-process.js";
import { assertBilledRequestsCharged } from "../helpers/billing.js";
import { STORE, tempLedger, type TestLedger } from "../helpers/store.js";
import { armFailpoint, CrashSignal, FAILPOINTS } from "../../src/failpoints.js";
import type { Feature } from "../../src/features.js";
import { silentLogger } from "../../src/log.js";
import { Metering } from "../../src/metering/meter.js";
import type { PricingConfig } from "../../src/metering/pricing.js";
import { Reconciler } from "../../src/fleet/reconcile.js";
import type { OrgRef } from "../../src/metering/types.js";
import type { PaidProvider } from "../../src/features.js";
import type { UsageEventInput } from "../../src/ledger/index.js";
import { chargeMicroCredits, ONE, parseDecimal } from "../../src/money.js";
import { createApify } from "../../src/providers/apify.js";
import { ProviderFailure } from "../../src/providers/failure.js";
import { createOpenRouter } from "../../src/providers/openrouter.js";
import { startApifySimulator, type ApifySimulator } from "../../src/simulator/apify.js";
import { startOpenRouterSimulator, type OpenRouterBehaviour, type OpenRouterSimulator } from "../../src/simulator/openrouter.js";

const SEED = Number(process.env.ECN_SIM_SEED ?? TEST_SEED);
const STEPS = Number(process.env.ECN_SIM_STEPS ?? 1_500);

/** mulberry32: small, fast, good enough to drive a simulation reproducibly. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (max: number) => Math.floor(next() * max),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p,
  };
}

let ledger: TestLedger;
let openrouterSim: OpenRouterSimulator;
let apifySim: ApifySimulator;

beforeAll(async () => {
  ({ ledger } = await tempLedger());
  [openrouterSim, apifySim] = await Promise.all([startOpenRouterSimulator(), startApifySimulator()]);
});

afterAll(async () => {
  armFailpoint(null);
  await Promise.all([openrouterSim.close(), apifySim.close()]);
});

type Rng = ReturnType<typeof random>;

/** The provider behaviours a paid LLM call may meet, with their weights. */
const LLM_OUTCOMES: [weight: number, behaviour: (rng: Rng) => OpenRouterBehaviour][] = [
  [40, () => ({})],
  // Billed above the listed price (a price change since the list was read): charged in full, flagged over_hold.
  [10, (rng) => ({ costUsd: Number((0.02 + rng.next() * 0.03).toFixed(9)) })],
  [6, () => ({ fail: { status: 402, message: "Insufficient credits" } })],
  [4, () => ({ fail: { status: 429, message: "Rate limit exceeded", retryAfterSeconds: 1 } })],
  [5, () => ({ fail: { status: 500, message: "Internal Server Error" } })],
  [5, () => ({ omitCost: true })],
  [3, () => ({ inBandError: "upstream disconnected" })],
  [2, () => ({ stallMs: 400 })], // times out after the generation id is known
  [2, () => ({ latencyMs: 400 })], // times out before any response: unknown, no reference
  // Times out before any response, but the provider does the work anyway: billed, and we never learn its id.
  [1, () => ({ latencyMs: 400, ignoreDisconnect: true })],
  [3, (rng) => ({ reportedCost: rng.pick([1e300, -0.25, "0.001"]) })], // nonsense in both cost fields: charged the hold, estimated
];

/** The models a call may name: listed, a router, a reasoning model, and one no list prices (refused). */
const MODELS = [undefined, undefined, undefined, "openrouter/auto", "deepseek/deepseek-r1", "openai/gpt-4o-mini:nitro"] as const;

/** Pricings an event may have been charged at: a settle may mix them (a caller repricing mid-call, a reconcile at the held price). */
const MARKUPS = ["1", "1.25", "1.5", "2.75"] as const;
const CREDIT_VALUES = ["0.01", "0.005"] as const;
/** Providers and models an event may name: the per-model rollup keys on both. */
const EVENT_MODELS: [PaidProvider, string | null][] = [
  ["openrouter", "openai/gpt-4o-mini"],
  ["openrouter", "deepseek/deepseek-r1"],
  ["openrouter", null],
  ["apify", "apify/google-search-scraper"],
];

/**
 * One to four events of a resolution, each with its own provider, model,
 * cost and pricing, charged at least cost x its own markup (hosted), or
 * counted at cost (self_host). Void: every event failed and charged nothing.
 */
function randomEvents(rng: Rng, mode: "hosted" | "self_host", voided: boolean, now: number): UsageEventInput[] {
  return Array.from({ length: 1 + rng.int(4) }, () => {
    const [provider, model] = rng.pick(EVENT_MODELS);
    const [markup, creditUsdValue] = [rng.pick(MARKUPS), rng.pick(CREDIT_VALUES)];
    const cost = voided ? 0n : BigInt(rng.int(3)) * BigInt(rng.int(4_000_000));
    const floor = chargeMicroCredits(cost, mode === "hosted" ? parseDecimal(markup) : ONE, parseDecimal(creditUsdValue));
    const metered = floor + (rng.chance(0.2) ? BigInt(rng.int(1_000)) : 0n);
    const tokens = rng.chance(0.7) ? 1 + rng.int(4_000) : null;
    return {
      provider,
      model,
      providerRequestId: null,
      outcome: voided || rng.chance(0.1) ? "failed" : "ok",
      promptTokens: tokens,
      completionTokens: tokens === null ? null : rng.int(tokens),
      totalTokens: tokens,
      costNanoUsd: cost,
      costSource: rng.pick(["reported", "lookup", "none"] as const),
      markup,
      creditUsdValue,
      chargedMicroCredits: voided || mode === "self_host" ? 0n : metered,
      meteredMicroCredits: voided ? 0n : metered,
      estimated: false,
      priceUnknown: rng.chance(0.1),
      createdAt: now,
    };
  });
}

function pickWeighted<T>(rng: Rng, options: [number, (rng: Rng) => T][]): T {
  let roll = rng.next() * options.reduce((sum, [w]) => sum + w, 0);
  for (const [weight, make] of options) if ((roll -= weight) < 0) return make(rng);
  return options[0]![1](rng);
}

describe("seeded fault simulation", () => {
  it(`keeps every invariant through ${STEPS} random steps (seed ${SEED}, ${STORE})`, async () => {
    const rng = random(SEED);
    const pricing: PricingConfig = { markup: parseDecimal("1.25"), creditUsdValue: parseDecimal("0.01"), deploymentMode: "hosted" };
    const providers = {
      openrouter: createOpenRouter({ apiKey: openrouterSim.apiKey, baseUrl: openrouterSim.baseUrl, lookupAttempts: 3, lookupFirstDelayMs: 20 }),
      apify: createApify({ token: apifySim.token, baseUrl: apifySim.baseUrl, readRetryDelayMs: 20 }),
    };
    const metering = new Metering({
      ledger,
      pricing,
      providers,
      providerTimeoutMs: 200,
      actorTimeoutMs: 5_000,
      logger: silentLogger,
      embeddingModel: "openai/text-embedding-3-small",
      leadSignalActor: "apify/google-search-scraper",
    });
    const reconciler = new Reconciler({ ledger, providers, pricing, logger: silentLogger });
    const orgs: OrgRef[] = [];
    for (const name of ["alpha", "beta", "gamma"]) orgs.push(await ledger.createOrg(name, Date.now()));
    const keys: { key: string; args: Record<string, unknown> }[] = [];
    const tally: Record<string, number> = {};
    apifySim.defaults.durationMs = 30;

    const llmCall = async (org: OrgRef, feature: Feature) => {
      let args: Record<string, unknown> = { notes: `call ${rng.int(5)}` };
      let key: string | undefined;
      if (rng.chance(0.15) && keys.length) {
        const reused = rng.pick(keys);
        key = reused.key;
        args = rng.chance(0.7) ? reused.args : { notes: "different" };
      } else if (rng.chance(0.2)) {
        key = `k-${rng.int(1_000_000)}`;
        keys.push({ key, args });
      }
      openrouterSim.behave(pickWeighted(rng, LLM_OUTCOMES));
      const model = rng.pick(MODELS);
      // Sometimes the owner stalls between its hold and its dispatch mark while another process reconciles.
      const stall = rng.chance(0.03);
      await metering.runLlm({ org, feature, args, model, idempotencyKey: key, promptText: "x".repeat(200) }, async (session) => {
        if (stall) await reconciler.run(AT_ONCE);
        const completion = await session.chat([{ role: "user", content: `simulate ${feature}` }]);
        return { text: completion.text };
      });
    };

    const actorCall = async (org: OrgRef) => {
      apifySim.behave(
        rng.pick([{}, {}, { outcome: "FAILED" as const }, { failStart: { status: 402, type: "not-enough-usage-to-run-paid-actor", message: "no" } }]),
      );
      await metering.runActor({ org, feature: "lead_signal_fetch", args: { q: rng.int(100) } }, async (session) => {
        const run = await session.run({ queries: "x" }, { maxItems: 3, onProgress: async () => undefined });
        if (run.status !== "SUCCEEDED") throw new EcnError("provider_error", `run ${run.status}`);
        return { items: run.items.length };
      });
    };

    /** A hold placed and resolved straight on the ledger: the metering core prices every event at one markup, this mixes them. */
    const ledgerResolution = async (org: OrgRef) => {
      const now = Date.now();
      const mode = rng.chance(0.8) ? ("hosted" as const) : ("self_host" as const);
      const hold = BigInt(1 + rng.int(3_000_000));
      const feature = rng.pick(["profile_draft", "lead_qualify"] as const);
      const placed = await ledger.placeHold({
        orgId: org.id,
        feature,
        provider: "openrouter",
        deploymentMode: mode,
        holdMicroCredits: hold,
        walletHoldMicroCredits: mode === "hosted" ? hold : 0n,
        idempotencyKey: null,
        requestHash: `direct-${step}`,
        markup: rng.pick(MARKUPS),
        creditUsdValue: rng.pick(CREDIT_VALUES),
        ownerInstanceId: null,
        connectionId: null,
        apiKeyId: null,
        now,
      });
      if (placed.kind !== "placed") return placed.kind;
      if (rng.chance(0.7)) await ledger.markDispatched(placed.call.id, now);
      if (rng.chance(0.15)) {
        await ledger.voidCall(placed.call.id, randomEvents(rng, mode, true, now), { code: "provider_error", message: "simulated" }, now);
        return "voided";
      }
      const events = randomEvents(rng, mode, false, now);
      const pricings = new Set(events.map((e) => `${e.markup}|${e.creditUsdValue}`)).size;
      if (pricings > 1) tally.mixed_pricing = (tally.mixed_pricing ?? 0) + 1;
      await ledger.settleCall(placed.call.id, events, rng.chance(0.8) ? { resultJson: "{}" } : { error: { code: "provider_error", message: "x" } }, now);
      return `settled ${events.length} event(s) at ${pricings} pricing(s)`;
    };

    let step = 0;
    for (; step < STEPS; step++) {
      const org = rng.pick(orgs);
      const roll = rng.next();
      let action: string;
      try {
        if (roll < 0.1) {
          action = "grant";
          await ledger.grantCredits(org.id, BigInt(1 + rng.int(20)) * 1_000_000n, null, Date.now());
        } else if (roll < 0.13) {
          action = "budget";
          await ledger.setBudget(
            {
              orgId: org.id,
              feature: rng.chance(0.5) ? null : rng.pick(["profile_draft", "lead_qualify"] as const),
              period: rng.pick(["day", "month", "total"] as const),
              limitMicroCredits: BigInt(1 + rng.int(60)) * 1_000_000n,
              hard: rng.chance(0.6),
            },
            Date.now(),
          );
        } else if (roll < 0.18) {
          action = "reconcile";
          await reconciler.run(AT_ONCE);
        } else if (roll < 0.3) {
          action = `ledger: ${await ledgerResolution(org)}`;
        } else {
          const crash = rng.chance(0.05) ? rng.pick(FAILPOINTS) : null;
          armFailpoint(crash, "throw");
          const apify = rng.chance(0.12);
          action = `${apify ? "actor" : "llm"}${crash ? `+crash@${crash}` : ""}`;
          try {
            await (apify ? actorCall(org) : llmCall(org, rng.pick(["profile_draft", "lead_qualify"] as const)));
          } finally {
            armFailpoint(null);
          }
        }
      } catch (error) {
        action = "refused";
        const expected = error instanceof EcnError || error instanceof ProviderFailure || error instanceof CrashSignal;
        if (!expected) throw new Error(`seed ${SEED}, step ${step}: unexpected ${String(error)}`, { cause: error });
        tally[error instanceof EcnError ? error.code : (error as Error).name] =
          (tally[error instanceof EcnError ? error.code : (error as Error).name] ?? 0) + 1;
      }
      const problems = await ledger.checkInvariants();
      if (problems.length) throw new Error(`seed ${SEED}, step ${step} (${action}): invariants broken:\n${problems.join("\n")}`);
    }

    // Everything left open is resolvable, and then the provider's view and the ledger's agree.
    // Requests the provider works on after their caller gave up are billed first.
    await waitFor(() => openrouterSim.working() === 0 && apifySim.startedRuns().every((run) => /^(SUCCEEDED|FAILED|TIMED-OUT|ABORTED)$/.test(run.status)));
    await reconciler.run(AT_ONCE);
    expect(await ledger.openCalls(), `seed ${SEED}`).toEqual([]);
    expect(await ledger.checkInvariants(), `seed ${SEED}`).toEqual([]);
    const billed = new Map<string, number>([
      ...openrouterSim.paidRequests().flatMap((r) => (r.generationId ? [[r.generationId, r.billedUsd] as [string, number]] : [])),
      ...apifySim.startedRuns().map((r) => [r.id, r.usageTotalUsd] as [string, number]),
    ]);
    await assertBilledRequestsCharged(ledger, billed, `seed ${SEED}`);
    // The simulation exercised the paths it is meant to.
    expect(tally.insufficient_credits ?? 0, `seed ${SEED}`).toBeGreaterThan(0);
    expect(tally.provider_error ?? 0, `seed ${SEED}`).toBeGreaterThan(0);
    expect(tally.CrashSignal ?? 0, `seed ${SEED}`).toBeGreaterThan(0);
    expect(tally.mixed_pricing ?? 0, `seed ${SEED}`).toBeGreaterThan(0);
  }, 300_000);
});
