/**
 * The reconciler: resolves calls a dead process left open.
 *
 *  - never dispatched (`held`) -> voided: no request left, nothing to pay;
 *  - provider references known -> settled at what the provider says each
 *    request cost (OpenRouter's generation endpoint, the Apify run's
 *    usageTotalUsd); an Apify run still going is left alone and reported;
 *  - dispatched with no reference -> charged the hold (the worst case the
 *    call was capped at) and flagged `estimated`: a call may never be billed
 *    below its cost;
 *  - a reference the provider prices impossibly (1e300, negative, not a
 *    number) -> charged what is left of the hold, flagged `estimated`.
 *
 * Safe beside live servers and other reconcilers: only calls older than their
 * owner's deadline are touched (a live process resolves its own calls before
 * then), and settle/void happen once per call whoever gets there first.
 */
import type { Ledger, ToolCallRecord, UsageEventInput } from "../ledger/index.js";
import type { Logger } from "../log.js";
import { microToCredits, nanoToUsd } from "../money.js";
import { redact } from "../redact.js";
import { callPricing, estimatedPrice, priceEvent, type PricingConfig } from "./pricing.js";
import { lookUpCost, type ProviderAccess } from "./provider-costs.js";

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
  providers: ProviderAccess;
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

type Priced = { events: UsageEventInput[]; running: string[]; unknown: string[]; impossible: string[] };

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
      note: redact(note),
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
    const pricing = callPricing(call, this.deps.pricing);
    if (call.providerRefs.length > 0) {
      const priced = await this.priceRefs(call, pricing);
      if (priced.running.length) return this.entry(call, "left_running", `Apify run ${priced.running.join(", ")} is still going; reconcile again later`);
      if (priced.unknown.length) return this.entry(call, "left_unknown", priced.unknown.join("; "));
      const estimated = priced.impossible.length > 0;
      const message = estimated
        ? `settled by reconcile: ${call.provider} reported an impossible cost (${priced.impossible.join(", ")}), so the rest of the hold was charged (estimated)`
        : `settled by reconcile at the cost ${call.provider} reported`;
      if (estimated) this.deps.logger.warn("a provider reported an impossible cost; charged the rest of the hold, flagged estimated", { call: call.id });
      const done = await this.deps.ledger.settleCall(call.id, priced.events, { error: { code: "provider_error", message } }, now);
      return this.entry(call, done.applied ? (estimated ? "estimated" : "settled") : "already_resolved", message, priced.events);
    }
    const events = [this.estimatedEvent(call, [], pricing, null, call.dispatchedAt ?? now)];
    const message = "dispatched but the provider reference was never stored: charged the hold (estimated)";
    const done = await this.deps.ledger.settleCall(call.id, events, { error: { code: "provider_error", message } }, now);
    return this.entry(call, done.applied ? "estimated" : "already_resolved", message, events);
  }

  /** One usage event per provider reference, priced from the provider; impossibly priced ones share the rest of the hold. */
  private async priceRefs(call: ToolCallRecord, pricing: PricingConfig): Promise<Priced> {
    const priced: Priced = { events: [], running: [], unknown: [], impossible: [] };
    const estimatedRefs: string[] = [];
    for (const ref of call.providerRefs) {
      const found = await lookUpCost(this.deps.providers, call.provider, ref);
      if (found.kind === "running") priced.running.push(ref);
      else if (found.kind === "unknown") priced.unknown.push(found.why);
      else if (found.kind === "impossible") {
        priced.impossible.push(`${ref}: ${found.reported}`);
        estimatedRefs.push(ref);
      } else {
        priced.events.push({
          provider: call.provider,
          model: found.model,
          providerRequestId: ref,
          outcome: found.costNanoUsd > 0n ? "ok" : "failed",
          ...found.usage,
          costNanoUsd: found.costNanoUsd,
          costSource: "lookup",
          ...priceEvent(found.costNanoUsd, pricing),
          estimated: false,
          priceUnknown: false,
          createdAt: call.dispatchedAt ?? call.createdAt,
        });
      }
    }
    const others = [...priced.events];
    for (const [i, ref] of estimatedRefs.entries()) {
      priced.events.push(this.estimatedEvent(i === 0 ? call : { ...call, holdMicroCredits: 0n, walletHoldMicroCredits: 0n }, others, pricing, ref, call.dispatchedAt ?? call.createdAt));
    }
    return priced;
  }

  /** What is left of the hold as the charge, with the cost it covers at the call's pricing, flagged estimated. */
  private estimatedEvent(call: ToolCallRecord, others: UsageEventInput[], pricing: PricingConfig, ref: string | null, createdAt: number): UsageEventInput {
    return {
      provider: call.provider,
      model: null,
      providerRequestId: ref,
      outcome: "failed",
      promptTokens: null,
      completionTokens: null,
      totalTokens: null,
      ...estimatedPrice(call, others, pricing),
      costSource: "estimated",
      estimated: true,
      priceUnknown: false,
      createdAt,
    };
  }
}
