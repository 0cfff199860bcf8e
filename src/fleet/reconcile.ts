/**
 * The reconciler: resolves calls nobody else will. It runs as
 * `ecn-mcp reconcile`, at every server's start, and on a timer in HTTP
 * servers. Whose call is it?
 *
 *  - its owner (the server instance that placed it) is alive: left to it,
 *    however long it runs, unless the owner itself is sweeping and has
 *    given up on it (its settle could not be written);
 *  - its owner is dead (deregistered, heartbeat older than the TTL, or its
 *    pid gone from this machine): an orphan, resolved at once;
 *  - no owner recorded (calls from before instances): left alone until its
 *    provider deadline has passed, as a live process resolves its own by then;
 *  - `unknown`: its owner gave up on it; resolved whenever the provider can say;
 *  - an outcome of it waits in an outcome spool on this machine (its
 *    owner's, alive or dead): left until that is replayed. A dead owner's
 *    journal here is replayed before its calls are judged, so a settle it
 *    spooled is never overtaken by an estimate;
 *  - judged by a heartbeat's age only once this judge has seen the ledger
 *    writable for a whole TTL (since its start or its last failed write):
 *    right after an outage every live server's heartbeat is old, and each
 *    gets a TTL to heartbeat and replay its spool before anybody judges it.
 *
 * How: never dispatched -> voided; provider references known -> settled at
 * what the provider says each request cost, an Apify run still going being
 * aborted first (its results have nowhere to go); dispatched with no
 * reference, a cost no request can have, or a reference the provider still
 * does not know after the unknown-age limit -> charged what is left of the
 * hold, flagged `estimated`: a call may never be billed below its cost.
 * Settle and void happen once per call whoever gets there first, so any
 * number of reconcilers may run at once.
 */
import { newId } from "../ids.js";
import { isOpenState, type InstanceRecord, type Ledger, type ToolCallRecord, type UsageEventInput } from "../ledger/index.js";
import type { Logger } from "../log.js";
import { microToCredits, nanoToUsd } from "../money.js";
import { redact } from "../redact.js";
import { judgeOwner, thisProcess, type OwnerVerdict, type ProcessIdentity } from "./liveness.js";
import type { SpoolView } from "./spool/host-spool.js";
import { callPricing, estimatedPrice, priceEvent, type PricingConfig } from "../metering/pricing.js";
import { abandonRequest, type ProviderAccess } from "../metering/provider-costs.js";

export type ReconcileAction = "voided" | "settled" | "estimated" | "left_running" | "left_unknown" | "left_to_owner" | "already_resolved" | "too_recent";

export interface ReconciledCall {
  tool_call_id: string;
  org_id: string;
  feature: string;
  from_state: string;
  owner_instance_id: string | null;
  action: ReconcileAction;
  cost_usd: number | null;
  credits_charged: number | null;
  /** Why the call was or was not touched. */
  note: string;
}

export interface ReconcileDeps {
  ledger: Ledger;
  providers: ProviderAccess;
  pricing: PricingConfig;
  logger: Logger;
  now?: () => number;
  /** This process, for pid checks of owners on the same machine. */
  identity?: ProcessIdentity;
  /** The outcome spools on this machine (this server's, and dead servers' it replays). */
  spool?: SpoolView;
}

export interface ReconcileOptions {
  /** Who ran it, as the dashboard shows it: a server's sweep or the command. */
  source?: "sweep" | "command";
  /** Calls with no recorded owner: a `held` call younger than this may still be on its way out of a live process. */
  heldGraceMs: number;
  /** Calls with no recorded owner: how long after dispatch a live process may still resolve an LLM call / an actor run. */
  llmDeadlineMs: number;
  actorDeadlineMs: number;
  /** An owner whose heartbeat is older than this is dead. */
  instanceTtlMs: number;
  /** A reference the provider does not know after this long is charged its hold (estimated). */
  unknownMaxAgeMs: number;
  /** The instance sweeping, if a server: its own calls are its own business while it works on them... */
  selfInstanceId: string | null;
  /** ...which this says (a server's own call it gave up on, e.g. because its settle could not be written, is resolved like an orphan). */
  selfMayResolve?: (callId: string) => boolean;
  /** How long to wait for an aborted Apify run to reach its final state before leaving it for the next sweep. */
  abortWaitSecs: number;
  /**
   * How long this judge has seen the ledger writable without a failed write. A heartbeat's age is
   * only trusted once this reaches the TTL (unset: trusted, as by a judge that watched throughout).
   */
  ledgerSteadyMs?: number;
  /** Told of each call left to an owner only because its heartbeat's age could not be trusted yet. */
  onDoubt?: (callId: string) => void;
}

type Owner = { kind: "none" } | ({ kind: "instance" } & OwnerVerdict);
type Priced = { events: UsageEventInput[]; running: string[]; unknown: string[]; estimated: string[] };

const DAY_MS = 86_400_000;
const age = (ms: number) => (ms >= DAY_MS ? `${Math.round(ms / DAY_MS)} days` : `${Math.round(ms / 1000)} s`);

export class Reconciler {
  private readonly now: () => number;
  /** This process, as the pid checks of owners see it. */
  readonly identity: ProcessIdentity;

  constructor(private readonly deps: ReconcileDeps) {
    this.now = deps.now ?? Date.now;
    this.identity = deps.identity ?? thisProcess();
  }

  async run(options: ReconcileOptions): Promise<ReconciledCall[]> {
    // What waits in a spool here goes in first: it is what the owners would have written.
    await this.deps.spool?.replay();
    const [open, instances] = await Promise.all([this.deps.ledger.openCalls(), this.deps.ledger.listInstances()]);
    const byId = new Map(instances.map((i) => [i.id, i]));
    const report: ReconciledCall[] = [];
    const replayed = new Map<string, Promise<boolean>>();
    for (const listed of open) {
      const owner = this.ownerOf(listed, byId, options);
      const settled = async (): Promise<ReconciledCall> => {
        const call = await this.afterOwnersSpool(listed, owner, replayed);
        if (!call) return this.entry(listed, "already_resolved", "its server's spooled outcome was replayed");
        if (this.deps.spool?.holds(call.id)) {
          return this.entry(call, "left_to_owner", "an outcome of it waits in an outcome spool on this machine; it is recorded once the ledger takes it");
        }
        return this.reconcile(call, owner, options);
      };
      report.push(await settled().catch((error: unknown) => this.entry(listed, "left_unknown", `lookup failed: ${String(error)}`)));
    }
    await this.deps.ledger.pruneInstances(this.now() - options.instanceTtlMs);
    const expired = await this.deps.ledger.deleteExpiredTasks(this.now()); // tasks kept long enough: not found from now on
    if (expired > 0) this.deps.logger.info("expired MCP tasks deleted", { tasks: expired });
    await this.record(report, options);
    return report;
  }

  /** What this run did, counted per action, for the dashboard's ledger health; never fails the run. */
  private async record(report: ReconciledCall[], options: ReconcileOptions): Promise<void> {
    const summary: Record<string, number> = { examined: report.length };
    for (const entry of report) summary[entry.action] = (summary[entry.action] ?? 0) + 1;
    await this.deps.ledger
      .recordReconcile({ id: newId("rec"), source: options.source ?? "command", instanceId: options.selfInstanceId, finishedAt: this.now(), summary })
      .catch((error: unknown) => this.deps.logger.warn("could not record the reconcile outcome", { error: String(error) }));
  }

  private ownerOf(call: ToolCallRecord, instances: Map<string, InstanceRecord>, options: ReconcileOptions): Owner {
    const id = call.ownerInstanceId;
    if (id === null) return { kind: "none" };
    if (id === options.selfInstanceId) {
      return options.selfMayResolve?.(call.id) === false
        ? { kind: "instance", alive: false, why: "this server gave up on it (its outcome could not be recorded at the time)" }
        : { kind: "instance", alive: true, why: "this server owns it" };
    }
    const verdict = judgeOwner(id, instances.get(id), this.identity, this.now(), options.instanceTtlMs);
    const steady = options.ledgerSteadyMs;
    if (verdict.staleHeartbeat && steady !== undefined && steady < options.instanceTtlMs) {
      options.onDoubt?.(call.id);
      return {
        kind: "instance",
        alive: true,
        why:
          `${verdict.why}, but the ledger has been writable for only ${age(steady)} as far as this process saw: ` +
          `its heartbeats may not have been writable either; it is judged once the ledger has been writable for ${age(options.instanceTtlMs)}`,
      };
    }
    return { kind: "instance", ...verdict };
  }

  /**
   * An owner judged dead may have spooled outcomes on this machine: they go
   * in first (once per owner per run). The call as it is then, or null once
   * closed; an owner whose spool the ledger refused keeps its calls for now.
   */
  private async afterOwnersSpool(call: ToolCallRecord, owner: Owner, replayed: Map<string, Promise<boolean>>): Promise<ToolCallRecord | null> {
    const spool = this.deps.spool;
    const id = call.ownerInstanceId;
    if (!spool || owner.kind !== "instance" || owner.alive || id === null) return call;
    let done = replayed.get(id);
    if (!done) replayed.set(id, (done = spool.replayOwner(id)));
    if (!(await done)) return call; // still in its journal: spool.holds() leaves the call alone
    const now = await this.deps.ledger.getCall(call.id);
    return now && isOpenState(now.state) ? now : null;
  }

  private entry(call: ToolCallRecord, action: ReconcileAction, note: string, events: UsageEventInput[] = []): ReconciledCall {
    const priced = events.length > 0;
    return {
      tool_call_id: call.id,
      org_id: call.orgId,
      feature: call.feature,
      from_state: call.state,
      owner_instance_id: call.ownerInstanceId,
      action,
      cost_usd: priced ? nanoToUsd(events.reduce((sum, e) => sum + e.costNanoUsd, 0n)) : null,
      credits_charged: priced ? microToCredits(events.reduce((sum, e) => sum + e.chargedMicroCredits, 0n)) : null,
      note: redact(note),
    };
  }

  private async reconcile(call: ToolCallRecord, owner: Owner, options: ReconcileOptions): Promise<ReconciledCall> {
    const now = this.now();
    if (owner.kind === "instance" && owner.alive && call.state !== "unknown") return this.entry(call, "left_to_owner", owner.why);
    // Why we may act, said first in every note.
    const because = owner.kind === "instance" ? `orphaned: ${owner.why}; ` : call.state === "unknown" ? "its server gave up on it; " : "";
    const { ledger } = this.deps;
    if (call.state === "held") {
      if (owner.kind === "none" && now - call.createdAt < options.heldGraceMs)
        return this.entry(call, "too_recent", "held moments ago; its process may still dispatch it");
      const message = `${because}never dispatched: nothing was sent, nothing is owed`;
      const done = await ledger.voidCall(call.id, [], { code: "provider_error", message: `voided by reconcile (${message})` }, now);
      return this.entry(call, done.applied ? "voided" : "already_resolved", message);
    }
    const deadline = call.provider === "apify" ? options.actorDeadlineMs : options.llmDeadlineMs;
    if (owner.kind === "none" && call.state === "dispatched" && now - (call.dispatchedAt ?? call.createdAt) < deadline) {
      return this.entry(call, "too_recent", "dispatched within its deadline; its process may still settle it");
    }
    const pricing = callPricing(call, this.deps.pricing);
    if (call.providerRefs.length === 0) {
      const events = [this.estimatedEvent(call, [], pricing, null, call.dispatchedAt ?? now)];
      const message = `${because}dispatched but the provider reference was never stored: charged the hold (estimated)`;
      const done = await ledger.settleCall(call.id, events, { error: { code: "provider_error", message } }, now);
      return this.entry(call, done.applied ? "estimated" : "already_resolved", message, events);
    }
    const priced = await this.priceRefs(call, pricing, options);
    if (priced.running.length) {
      return this.entry(call, "left_running", `${because}Apify run ${priced.running.join(", ")} is still stopping after an abort; the next sweep settles it`);
    }
    if (priced.unknown.length) {
      const message = `${because}${priced.unknown.join("; ")}; asked again at every sweep, charged its hold after ${age(options.unknownMaxAgeMs)}`;
      if (call.state === "dispatched") await ledger.markUnknown(call.id, "provider_error", message);
      return this.entry(call, "left_unknown", message);
    }
    const estimated = priced.estimated.length > 0;
    const message = estimated
      ? `${because}settled: ${priced.estimated.join("; ")}, so the rest of the hold was charged (estimated)`
      : `${because}settled at the cost ${call.provider} reported`;
    if (estimated) this.deps.logger.warn("a request's cost could not be known; charged the rest of the hold, flagged estimated", { call: call.id });
    const done = await ledger.settleCall(call.id, priced.events, { error: { code: "provider_error", message } }, now);
    return this.entry(call, done.applied ? (estimated ? "estimated" : "settled") : "already_resolved", message, priced.events);
  }

  /** One usage event per provider reference, priced from the provider; references that cannot be priced share the rest of the hold. */
  private async priceRefs(call: ToolCallRecord, pricing: PricingConfig, options: ReconcileOptions): Promise<Priced> {
    const priced: Priced = { events: [], running: [], unknown: [], estimated: [] };
    const estimatedRefs: string[] = [];
    const sentAt = call.dispatchedAt ?? call.createdAt;
    const tooOld = this.now() - sentAt >= options.unknownMaxAgeMs;
    for (const ref of call.providerRefs) {
      const found = await abandonRequest(this.deps.providers, call.provider, ref, options.abortWaitSecs);
      if (found.kind === "running") priced.running.push(ref);
      else if (found.kind === "impossible" || ((found.kind === "unknown" || found.kind === "not_found") && tooOld)) {
        priced.estimated.push(
          found.kind === "impossible"
            ? `${call.provider} reported an impossible cost for ${ref} (${found.reported})`
            : `${found.why} after ${age(this.now() - sentAt)}`,
        );
        estimatedRefs.push(ref);
      } else if (found.kind === "unknown" || found.kind === "not_found") priced.unknown.push(found.why);
      else {
        priced.events.push({
          provider: call.provider,
          model: found.model,
          providerRequestId: ref,
          outcome: found.nanoUsd > 0n ? "ok" : "failed",
          ...found.usage,
          costNanoUsd: found.nanoUsd,
          costSource: "lookup",
          ...priceEvent(found.nanoUsd, pricing),
          estimated: false,
          priceUnknown: false,
          createdAt: sentAt,
        });
      }
    }
    const others = [...priced.events];
    for (const [i, ref] of estimatedRefs.entries()) {
      priced.events.push(this.estimatedEvent(i === 0 ? call : { ...call, holdMicroCredits: 0n, walletHoldMicroCredits: 0n }, others, pricing, ref, sentAt));
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
