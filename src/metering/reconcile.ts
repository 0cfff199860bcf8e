/**
 * The reconciler (SPEC 4.6): resolves calls a dead process left open.
 *
 *  - never dispatched (`held`) -> voided: no request left, nothing to pay;
 *  - provider references known -> settled at what the provider says each
 *    request cost (OpenRouter's generation endpoint, the Apify run's
 *    usageTotalUsd); an Apify run still going is left alone and reported;
 *  - dispatched with no reference -> charged the hold (the worst case the
 *    call was capped at) and flagged `estimated`: a call may never be billed
 *    below its cost.
 *
 * Safe beside live servers and other reconcilers: only calls older than their
 * owner's deadline are touched (a live process resolves its own calls before
 * then), and settle/void happen once per call whoever gets there first.
 */
import type { Ledger, ToolCallRecord, UsageEventInput } from "../ledger/index.js";
import type { Logger } from "../log.js";
import { coveredCostNanoUsd, formatDecimal, microToCredits, nanoToUsd, parseDecimal } from "../money.js";
import type { ApifyProvider } from "../providers/apify.js";
import type { OpenRouterProvider } from "../providers/openrouter.js";
import { priceEvent, type PricingConfig } from "./pricing.js";

export type ReconcileAction = "voided" | "settled" | "estimated" | "left_running" | "left_unknown" | "already_resolved" | "too_recent";

export interface ReconciledCall {
  tool_call_id: string;
  org_id: string;
  feature: string;
  from_state: string;
  action: ReconcileAction;
  cost_usd: number | null;
  credits_charged: number | null;
  note: string;
}

export interface ReconcileDeps {
  ledger: Ledger;
  providers: { openrouter?: OpenRouterProvider | undefined; apify?: ApifyProvider | undefined };
  pricing: PricingConfig;
  logger: Logger;
  now?: () => number;
}

export interface ReconcileOptions {
  /** A `held` call younger than this may still be on its way out of a live process. */
  heldGraceMs: number;
  /** How long after dispatch a live process may still resolve an LLM call / an actor run itself. */
  llmDeadlineMs: number;
  actorDeadlineMs: number;
}

type Priced = { events: UsageEventInput[]; running: string[]; unknown: string[] };

export class Reconciler {
  private readonly now: () => number;

  constructor(private readonly deps: ReconcileDeps) {
    this.now = deps.now ?? Date.now;
  }

  async run(options: ReconcileOptions): Promise<ReconciledCall[]> {
    const report: ReconciledCall[] = [];
    for (const call of await this.deps.ledger.openCalls()) {
      report.push(await this.reconcile(call, options).catch((error: unknown) => this.entry(call, "left_unknown", `lookup failed: ${String(error)}`)));
    }
    return report;
  }

  private entry(call: ToolCallRecord, action: ReconcileAction, note: string, events: UsageEventInput[] = []): ReconciledCall {
    const priced = events.length > 0;
    return {
      tool_call_id: call.id,
      org_id: call.orgId,
      feature: call.feature,
      from_state: call.state,
      action,
      cost_usd: priced ? nanoToUsd(events.reduce((sum, e) => sum + e.costNanoUsd, 0n)) : null,
      credits_charged: priced ? microToCredits(events.reduce((sum, e) => sum + e.chargedMicroCredits, 0n)) : null,
      note,
    };
  }

  private pricingOf(call: ToolCallRecord): PricingConfig {
    return {
      markup: call.markup ? parseDecimal(call.markup) : this.deps.pricing.markup,
      creditUsdValue: call.creditUsdValue ? parseDecimal(call.creditUsdValue) : this.deps.pricing.creditUsdValue,
      deploymentMode: call.deploymentMode,
    };
  }

  private async reconcile(call: ToolCallRecord, options: ReconcileOptions): Promise<ReconciledCall> {
    const now = this.now();
    if (call.state === "held") {
      if (now - call.createdAt < options.heldGraceMs) return this.entry(call, "too_recent", "held moments ago; its process may still dispatch it");
      const done = await this.deps.ledger.voidCall(call.id, [], { code: "provider_error", message: "never dispatched; voided by reconcile" }, now);
      return this.entry(call, done.applied ? "voided" : "already_resolved", "never dispatched: nothing was sent, nothing is owed");
    }
    const deadline = call.provider === "apify" ? options.actorDeadlineMs : options.llmDeadlineMs;
    if (call.state === "dispatched" && now - (call.dispatchedAt ?? call.createdAt) < deadline) {
      return this.entry(call, "too_recent", "dispatched within its deadline; its process may still settle it");
    }
    if (call.providerRefs.length > 0) {
      const priced = await this.priceRefs(call);
      if (priced.running.length) return this.entry(call, "left_running", `Apify run ${priced.running.join(", ")} is still going; reconcile again later`);
      if (priced.unknown.length) return this.entry(call, "left_unknown", `the provider does not know ${priced.unknown.join(", ")} yet`);
      const message = `settled by reconcile at the cost ${call.provider} reported`;
      const done = await this.deps.ledger.settleCall(call.id, priced.events, { error: { code: "provider_error", message } }, now);
      return this.entry(call, done.applied ? "settled" : "already_resolved", message, priced.events);
    }
    const events = [this.estimatedEvent(call, now)];
    const message = "dispatched but the provider reference was never stored: charged the hold (estimated)";
    const done = await this.deps.ledger.settleCall(call.id, events, { error: { code: "provider_error", message } }, now);
    return this.entry(call, done.applied ? "estimated" : "already_resolved", message, events);
  }

  /** One usage event per provider reference, priced from the provider. */
  private async priceRefs(call: ToolCallRecord): Promise<Priced> {
    const pricing = this.pricingOf(call);
    const priced: Priced = { events: [], running: [], unknown: [] };
    for (const ref of call.providerRefs) {
      const found = await this.costOf(call.provider, ref);
      if (found === "running") priced.running.push(ref);
      else if (found === null) priced.unknown.push(ref);
      else {
        priced.events.push({
          provider: call.provider,
          model: found.model,
          providerRequestId: ref,
          outcome: found.costNanoUsd > 0n ? "ok" : "failed",
          promptTokens: found.promptTokens,
          completionTokens: found.completionTokens,
          totalTokens: found.promptTokens !== null && found.completionTokens !== null ? found.promptTokens + found.completionTokens : null,
          costNanoUsd: found.costNanoUsd,
          costSource: "lookup",
          ...priceEvent(found.costNanoUsd, pricing),
          estimated: false,
          priceUnknown: false,
          createdAt: call.dispatchedAt ?? call.createdAt,
        });
      }
    }
    return priced;
  }

  private async costOf(provider: ToolCallRecord["provider"], ref: string) {
    if (provider === "openrouter") {
      const cost = await this.deps.providers.openrouter?.generationCost(ref);
      return cost ? { costNanoUsd: cost.costNanoUsd, model: cost.model, promptTokens: cost.usage.promptTokens, completionTokens: cost.usage.completionTokens } : null;
    }
    const run = await this.deps.providers.apify?.runCost(ref);
    if (!run) return null;
    if (!run.finished) return "running" as const;
    if (run.costNanoUsd === null) return null;
    return { costNanoUsd: run.costNanoUsd, model: null, promptTokens: null, completionTokens: null };
  }

  /** The hold as the charge, with the cost it covers at the call's pricing, flagged estimated. */
  private estimatedEvent(call: ToolCallRecord, now: number): UsageEventInput {
    const pricing = this.pricingOf(call);
    const hosted = pricing.deploymentMode === "hosted";
    const costNanoUsd = coveredCostNanoUsd(call.holdMicroCredits, hosted ? pricing.markup : { units: 1n, scale: 0 }, pricing.creditUsdValue);
    return {
      provider: call.provider,
      model: null,
      providerRequestId: null,
      outcome: "failed",
      promptTokens: null,
      completionTokens: null,
      totalTokens: null,
      costNanoUsd,
      costSource: "estimated",
      markup: formatDecimal(pricing.markup),
      creditUsdValue: formatDecimal(pricing.creditUsdValue),
      chargedMicroCredits: call.walletHoldMicroCredits,
      meteredMicroCredits: call.holdMicroCredits,
      estimated: true,
      priceUnknown: false,
      createdAt: call.dispatchedAt ?? now,
    };
  }
}
