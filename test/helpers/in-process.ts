/**
 * The metering core in the test's own process: a real ledger file (and a
 * second connection to it, standing for another process), the real openai
 * and apify-client packages against the loopback simulators, and a
 * reconciler. For tests that must act at a precise moment inside a paid call.
 */
import { afterEach } from "vitest";
import type { LedgerTarget } from "../../src/ledger/index.js";
import { silentLogger, type Logger } from "../../src/log.js";
import { Metering } from "../../src/metering/meter.js";
import type { PricingConfig } from "../../src/metering/pricing.js";
import { Reconciler, type ReconcileOptions } from "../../src/fleet/reconcile.js";
import type { OrgRef } from "../../src/metering/types.js";
import { parseDecimal } from "../../src/money.js";
import { createApify } from "../../src/providers/apify.js";
import { createOpenRouter } from "../../src/providers/openrouter.js";
import { startApifySimulator, type ApifySimulator } from "../../src/simulator/apify.js";
import { startOpenRouterSimulator, type OpenRouterSimulator } from "../../src/simulator/openrouter.js";
import { openTestLedger, tempLedger, type TestLedger } from "./store.js";

export interface InProcess {
  ledger: TestLedger;
  /** A second connection to the same ledger: another process's view. */
  other: TestLedger;
  target: LedgerTarget;
  sim: OpenRouterSimulator;
  apify: ApifySimulator;
  pricing: PricingConfig;
  metering: Metering;
  /** A reconciler working through the other connection, as another process would. */
  reconciler: Reconciler;
  org: OrgRef;
}

const open: InProcess[] = [];
afterEach(async () => {
  while (open.length) {
    const stack = open.pop()!;
    await Promise.all([stack.sim.close(), stack.apify.close()]);
  }
});

export interface InProcessOptions {
  credits?: bigint;
  providerTimeoutMs?: number;
  actorTimeoutMs?: number;
  logger?: Logger;
}

export async function startInProcess(options: InProcessOptions = {}): Promise<InProcess> {
  const { ledger, target } = await tempLedger();
  const other = await openTestLedger(target);
  const [sim, apify] = await Promise.all([startOpenRouterSimulator(), startApifySimulator()]);
  const pricing: PricingConfig = { markup: parseDecimal("1.25"), creditUsdValue: parseDecimal("0.01"), deploymentMode: "hosted" };
  const providers = {
    openrouter: createOpenRouter({ apiKey: sim.apiKey, baseUrl: sim.baseUrl, lookupAttempts: 3, lookupFirstDelayMs: 20 }),
    apify: createApify({ token: apify.token, baseUrl: apify.baseUrl, readRetryDelayMs: 20 }),
  };
  const logger = options.logger ?? silentLogger;
  const metering = new Metering({
    ledger,
    pricing,
    providers,
    providerTimeoutMs: options.providerTimeoutMs ?? 10_000,
    actorTimeoutMs: options.actorTimeoutMs ?? 10_000,
    logger,
    embeddingModel: "openai/text-embedding-3-small",
    leadSignalActor: "apify/google-search-scraper",
  });
  const reconciler = new Reconciler({ ledger: other, providers, pricing, logger });
  const org = await ledger.createOrg("acme", Date.now());
  if (options.credits !== 0n) await ledger.grantCredits(org.id, options.credits ?? 10_000_000n, null, Date.now());
  const stack: InProcess = { ledger, other, target, sim, apify, pricing, metering, reconciler, org };
  open.push(stack);
  return stack;
}

/** Reconcile as an impatient process would: no grace, no deadline left (the defaults otherwise). */
export const AT_ONCE: ReconcileOptions = {
  heldGraceMs: 0,
  llmDeadlineMs: 0,
  actorDeadlineMs: 0,
  instanceTtlMs: 30_000,
  unknownMaxAgeMs: 7 * 86_400_000,
  selfInstanceId: null,
  abortWaitSecs: 5,
};
