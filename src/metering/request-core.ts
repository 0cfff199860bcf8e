/**
 * The request core every paid call's session sends through (the LLM and the
 * actor sessions in call-sessions.ts): marks the call dispatched just before the
 * first request leaves (and sends nothing if that transition no longer
 * applies), stores provider references as soon as they are known (see
 * noteRef), and turns every request's outcome into a priced usage event, an
 * unresolved request the core must settle later, or an estimate when the
 * provider reported a cost no request can have.
 */
import { EcnError } from "../errors.js";
import { failpoint } from "../failpoints.js";
import type { PaidProvider } from "../features.js";
import { storageFailure, type Ledger, type ToolCallRecord, type UsageEventInput } from "../ledger/index.js";
import { channelFields, type Logger } from "../log.js";
import { NO_TOKENS, type ReportedCost, type TokenUsage } from "../providers/cost.js";
import { ProviderFailure } from "../providers/failure.js";
import { estimatedPrice, priceEvent, type PricingConfig } from "./pricing.js";
import type { OutcomeSpool } from "./types.js";

/** A request whose cost is not known: the provider may have billed it. */
export interface UnresolvedRequest {
  provider: PaidProvider;
  providerRef: string | null;
  model: string | null;
  createdAt: number;
  failure: ProviderFailure;
}

/** A request the provider priced impossibly: it will be charged what is left of the hold. */
export interface EstimatedRequest {
  provider: PaidProvider;
  providerRef: string | null;
  model: string | null;
  usage: TokenUsage;
  createdAt: number;
  reported: string;
}

export interface SessionDeps {
  ledger: Ledger;
  pricing: PricingConfig;
  /** The call's cancellation: its deadline or the client's cancel. */
  signal: AbortSignal;
  logger: Logger;
  now: () => number;
  /** A server's outcome spool: where a reference goes when the ledger cannot take it (none outside a server). */
  spool?: OutcomeSpool | undefined;
}

/** What a finished request reports about itself, for its usage event. */
export interface RequestReport {
  model: string | null;
  providerRequestId: string | null;
  outcome: "ok" | "failed";
  usage: TokenUsage;
  cost: ReportedCost;
  costSource: "reported" | "lookup";
}

type EventFacts = Omit<UsageEventInput, "chargedMicroCredits" | "meteredMicroCredits" | "markup" | "creditUsdValue" | "priceUnknown">;

export class RequestCore {
  readonly events: UsageEventInput[] = [];
  readonly unresolved: UnresolvedRequest[] = [];
  readonly estimates: EstimatedRequest[] = [];
  private dispatched = false;
  /** Provider references as they became known, how many of them are stored, and the write storing them (if one runs). */
  private readonly refs: string[] = [];
  private storedRefs = 0;
  private refWrites: Promise<void> | null = null;
  /** Set when the call concludes: references not stored by then go with the conclusion. */
  private concluding = false;

  constructor(
    readonly call: ToolCallRecord,
    private readonly deps: SessionDeps,
  ) {}

  get signal(): AbortSignal {
    return this.deps.signal;
  }

  /** True when some request did billable work (so the call settles rather than voids). */
  get didWork(): boolean {
    return this.estimates.length > 0 || this.events.some((e) => e.outcome === "ok" || e.costNanoUsd > 0n);
  }

  /** Records a priced usage event for one provider request. */
  recordEvent(facts: EventFacts): void {
    this.events.push({ ...facts, ...priceEvent(facts.costNanoUsd, this.deps.pricing), priceUnknown: false });
  }

  /** Notes a request whose reported cost is impossible: it is charged what is left of the hold, and the operator is told. */
  recordImpossibleCost(request: EstimatedRequest): void {
    this.estimates.push(request);
    this.deps.logger.warn("a provider reported an impossible cost; the request is charged the rest of its hold, flagged estimated", {
      call: this.call.id,
      ...channelFields(this.call),
      provider: request.provider,
      ref: request.providerRef,
      reported: request.reported,
    });
  }

  /**
   * Every event the call settles with: the priced ones, then one per
   * impossibly priced request, the first charged what is left of the hold
   * (the worst case the call was capped at), the rest nothing more.
   */
  settlementEvents(): UsageEventInput[] {
    const out = [...this.events];
    for (const [i, estimate] of this.estimates.entries()) {
      const price = estimatedPrice(i === 0 ? this.call : { holdMicroCredits: 0n, walletHoldMicroCredits: 0n }, this.events, this.deps.pricing);
      out.push({
        provider: estimate.provider,
        model: estimate.model,
        providerRequestId: estimate.providerRef,
        outcome: "ok",
        ...estimate.usage,
        ...price,
        costSource: "estimated",
        estimated: true,
        priceUnknown: false,
        createdAt: estimate.createdAt,
      });
    }
    return out;
  }

  /**
   * held -> dispatched, as a checked transition: if the call is no longer
   * held (a reconciler voided it while this process stalled), nothing is sent.
   */
  private async markDispatched(): Promise<void> {
    if (this.dispatched) return;
    if (!(await this.deps.ledger.markDispatched(this.call.id, this.deps.now()))) {
      const now = await this.deps.ledger.getCall(this.call.id);
      throw new EcnError(
        "provider_error",
        `call ${this.call.id} was resolved (${now?.state ?? "gone"}) before its request was sent: this server stalled long enough ` +
          "to be taken for dead, and another process closed the call as never sent. Nothing was sent to the provider; retry the call.",
        { tool_call_id: this.call.id },
      );
    }
    this.dispatched = true;
    failpoint("after_dispatch");
  }

  /**
   * A provider reference, the moment it is known. Once it is stored, a crash
   * lets reconcile price the request from the provider instead of charging
   * the whole hold. The request does not wait for it: the answer keeps
   * arriving while the reference is written.
   *
   * The write starts on the next turn of the event loop, and only if the call
   * has not concluded by then. When the whole answer arrived with the
   * reference (a fast or non-streamed answer), the call's conclusion (settle
   * or void) writes the reference in its own commit instead: one durable
   * commit fewer, and no larger crash window, since "answer received -> first
   * commit after it" is one commit either way. A streamed answer still
   * arriving has its reference written on its own, during the stream.
   */
  private noteRef(ref: string): void {
    if (this.refs.includes(ref)) return;
    this.refs.push(ref);
    this.refWrites ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.storeRefs());
  }

  private async storeRefs(): Promise<void> {
    try {
      while (!this.concluding && this.storedRefs < this.refs.length) {
        await this.storeRef(this.refs[this.storedRefs]!);
        this.storedRefs++;
        failpoint("after_provider_ref");
      }
    } finally {
      this.refWrites = null;
    }
  }

  /**
   * Called as the call concludes. A settle or void writes every event's
   * reference itself (`withConclusion`), so references not stored yet are left
   * to it; a call that stays open for the reconciler (unknown) needs them
   * stored first. A write under way is waited for either way. Its failure
   * matters only when nothing else will store the references.
   */
  async refsBeforeConclusion(withConclusion: boolean): Promise<void> {
    this.concluding = true;
    const running = this.refWrites;
    if (running) await (withConclusion ? running.catch(() => undefined) : running);
    if (withConclusion) return;
    for (; this.storedRefs < this.refs.length; this.storedRefs++) await this.storeRef(this.refs[this.storedRefs]!);
  }

  /** References known but not stored (left to the conclusion, or not yet written). */
  unstoredRefs(): string[] {
    return this.refs.slice(this.storedRefs);
  }

  /** Stores a reference; when the ledger cannot take it, a server keeps it in its outcome spool. */
  private async storeRef(ref: string): Promise<void> {
    try {
      await this.deps.ledger.addProviderRef(this.call.id, ref);
    } catch (error) {
      if (!storageFailure(error) || !this.deps.spool?.keep({ kind: "ref", callId: this.call.id, ref })) throw error;
    }
  }

  /**
   * Sends one provider request: dispatch mark first, reference stored as soon
   * as known, then exactly one usage event (or one unresolved request, or one estimate).
   */
  async send<R>(
    provider: PaidProvider,
    model: string,
    send: (onProviderRef: (ref: string) => Promise<void>) => Promise<R>,
    report: (result: R) => RequestReport,
  ): Promise<R> {
    this.deps.signal.throwIfAborted();
    await this.markDispatched();
    const createdAt = this.deps.now();
    let ref: string | null = null;
    let result: R;
    try {
      result = await send(async (id) => {
        ref = id;
        this.noteRef(id);
      });
    } catch (error) {
      const failure =
        error instanceof ProviderFailure
          ? error
          : new ProviderFailure(provider, "unknown", `${provider} request failed: ${error instanceof Error ? error.message : String(error)}`);
      const providerRef = failure.details.providerRef ?? ref;
      if (failure.billing === "none") {
        this.recordEvent({
          provider,
          model,
          providerRequestId: providerRef,
          outcome: "failed",
          ...NO_TOKENS,
          costNanoUsd: 0n,
          costSource: "none",
          estimated: false,
          createdAt,
        });
      } else {
        this.unresolved.push({ provider, providerRef, model, createdAt, failure });
      }
      throw failure;
    }
    const facts = report(result);
    const { cost } = facts;
    if (cost.kind === "missing") {
      const failure = new ProviderFailure(provider, "unknown", `${provider} did not report what the request cost`, {
        ...(facts.providerRequestId ? { providerRef: facts.providerRequestId } : {}),
      });
      this.unresolved.push({ provider, providerRef: facts.providerRequestId, model: facts.model, createdAt, failure });
      throw failure;
    }
    if (cost.kind === "impossible") {
      this.recordImpossibleCost({ provider, providerRef: facts.providerRequestId, model: facts.model, usage: facts.usage, createdAt, reported: cost.reported });
      return result;
    }
    this.recordEvent({
      provider,
      model: facts.model,
      providerRequestId: facts.providerRequestId,
      outcome: facts.outcome,
      ...facts.usage,
      costNanoUsd: cost.nanoUsd,
      costSource: facts.costSource,
      estimated: false,
      createdAt,
    });
    return result;
  }
}
