/**
 * The Ledger, once for both stores: each method names the script that does
 * the work and whether it writes. The engine underneath (SQLite or
 * PostgreSQL) decides how a script's statements run.
 */
import type { Feature, PaidProvider } from "../features.js";
import type { ProviderWindow, UsageSnapshot } from "./audit-types.js";
import * as accounts from "./core/accounts.js";
import { ScriptedBillingLedger } from "./billing-ledger.js";
import * as audit from "./core/audit.js";
import { budgetStandings } from "./core/budgets.js";
import * as calls from "./core/calls.js";
import * as dashboard from "./core/dashboard.js";
import * as holds from "./core/holds.js";
import * as instances from "./core/instances.js";
import { checkInvariants } from "./core/invariants.js";
import * as prices from "./core/prices.js";
import * as reports from "./core/reports.js";
import type { DashboardSession, DayWindow, ReconcileRun, RefusalDay } from "./dashboard-types.js";
import type { Engine } from "./engine.js";
import { CachedScripts } from "./cached-ledger.js";
import { RecentSet } from "./recent-set.js";
import { all, get } from "./script.js";
import type {
  InstanceRecord,
  BudgetInput,
  CallResult,
  DataQueryInput,
  HoldOutcome,
  HoldRequest,
  Ledger,
  MarginQuery,
  UsageEventInput,
  UsageEventRecord,
  UsageFilter,
  UsageQuery,
} from "./types.js";

/** Events per page of an export: enough to keep round trips few, small enough to keep memory flat. */
const EXPORT_PAGE = 1_000;

export class ScriptedLedger extends CachedScripts implements Ledger {
  readonly billing: ScriptedBillingLedger;
  /** Organisations lately refused the one-flight hold for a budget (see placeHold). */
  private readonly budgeted = new RecentSet();

  constructor(engine: Engine) {
    super(engine);
    this.billing = new ScriptedBillingLedger(engine);
  }

  // organisations and wallets
  createOrg(name: string, now: number) {
    return this.engine.write(() => accounts.createOrg(name, now));
  }
  findOrg(idOrName: string) {
    return this.engine.read(() => accounts.findOrg(idOrName));
  }
  ensureOrg(name: string, now: number) {
    return this.engine.write(() => accounts.ensureOrg(name, now));
  }
  listOrgs() {
    return this.engine.read(() => all(accounts.listOrgsSql));
  }
  getWallet(orgId: string) {
    return this.engine.read(() => calls.requireWallet(orgId));
  }
  grantCredits(orgId: string, amountMicroCredits: bigint, note: string | null, now: number) {
    return this.engine.write(() => accounts.grantCredits(orgId, amountMicroCredits, note, now));
  }

  // rate cards and budgets
  listRateCards() {
    return this.engine.read(() => all(accounts.listRateCardsSql));
  }
  setBudget(input: BudgetInput, now: number) {
    return this.engine.write(() => accounts.setBudget(input, now));
  }
  listBudgets(orgId?: string) {
    return this.engine.read(() => accounts.listBudgets(orgId));
  }
  budgetStandings(orgId: string, now: number) {
    return this.engine.read(function* () {
      return yield* budgetStandings(yield* accounts.listBudgets(orgId), now);
    });
  }

  // the life of a paid call
  /**
   * The common hold in one flight when it can be (holds.placeHoldAtOnce);
   * otherwise, or when that claims nothing, the full path, which says why.
   * Organisations seen with a budget skip the attempt for a while: each
   * attempt refused for a budget would cost them a round trip.
   */
  async placeHold(request: HoldRequest): Promise<HoldOutcome> {
    if (!holds.atOnceEligible(request) || this.budgeted.has(request.orgId, request.now)) return this.engine.write(() => holds.placeHold(request));
    const placed = await this.engine.write(() => holds.placeHoldAtOnce(request));
    if (placed) return placed;
    const outcome = await this.engine.write(() => holds.placeHold(request));
    // The one flight claimed nothing, yet the wallet covered the hold: a budget covers the feature.
    if (outcome.kind === "placed" || outcome.kind === "budget_exceeded") this.budgeted.add(request.orgId, request.now);
    return outcome;
  }
  // Single conditional statements: written on their own (see Engine.writeOne).
  async markDispatched(callId: string, now: number) {
    return (await this.engine.writeOne(calls.markDispatchedSql, { now, id: callId })) > 0;
  }
  async addProviderRef(callId: string, ref: string) {
    await this.engine.writeOne(calls.addProviderRefSql, { id: callId, ref });
  }
  async markUnknown(callId: string, errorCode: string, errorMessage: string) {
    return (await this.engine.writeOne(calls.markUnknownSql, { code: errorCode, message: errorMessage, id: callId })) > 0;
  }
  settleCall(callId: string, events: UsageEventInput[], result: CallResult, now: number) {
    return this.engine.write(() => calls.settleCall(callId, events, result, now));
  }
  voidCall(callId: string, events: UsageEventInput[], error: { code: string; message: string }, now: number) {
    return this.engine.write(() => calls.voidCall(callId, events, error, now));
  }
  async getCall(callId: string) {
    return (await this.engine.read(() => get(calls.callById, { id: callId }))) ?? null;
  }
  openCalls() {
    return this.engine.read(() => all(calls.openCalls));
  }
  usageEventsOfCall(callId: string) {
    return this.engine.read(() => reports.usageEventsOfCall(callId));
  }

  // server instances
  async heartbeatInstance(instance: InstanceRecord) {
    await this.engine.writeOne(instances.heartbeat, { ...instance });
  }
  async deregisterInstance(id: string) {
    await this.engine.writeOne(instances.deregister, { id });
  }
  listInstances() {
    return this.engine.read(() => all(instances.listInstances));
  }
  openCallsByOwner() {
    return this.engine.read(() => all(instances.openCallsByOwner));
  }
  pruneInstances(before: number) {
    return this.engine.writeOne(instances.prune, { before });
  }

  // free public data, prices, health
  logDataQuery(entry: DataQueryInput) {
    return this.engine.write(() => prices.logDataQuery(entry));
  }
  async checkWritable(now: number) {
    await this.engine.writeOne(prices.touchHealth, { now });
  }
  checkIntegrity() {
    return this.engine.checkIntegrity();
  }

  // reporting
  recentUsage(query: UsageQuery) {
    return this.engine.read(() => reports.recentUsage(query));
  }
  featureTotals(orgId: string, since?: number, until?: number) {
    return this.engine.read(() => reports.featureTotals(orgId, since, until));
  }
  featureMargins(query: MarginQuery) {
    return this.engine.read(() => reports.featureMargins(query));
  }
  async *iterateUsage(filter: UsageFilter): AsyncIterable<UsageEventRecord> {
    let after: { settledAt: number; id: string } | null = null;
    for (;;) {
      const page: UsageEventRecord[] = await this.engine.read(() => reports.usagePage(filter, after, EXPORT_PAGE));
      yield* page;
      if (page.length < EXPORT_PAGE) return;
      const last = page.at(-1)!;
      after = { settledAt: last.settledAt, id: last.id };
    }
  }
  checkInvariants() {
    return this.engine.read(() => checkInvariants());
  }

  // the providers' own account of the same spend (ecn-mcp audit-costs)
  recordUsageSnapshot(snapshot: UsageSnapshot) {
    return this.engine.write(() => audit.recordUsageSnapshot(snapshot));
  }
  snapshotAtOrBefore(provider: PaidProvider, at: number) {
    return this.engine.read(() => audit.snapshotAtOrBefore(provider, at));
  }
  firstSnapshotIn(provider: PaidProvider, from: number, to: number) {
    return this.engine.read(() => audit.firstSnapshotIn(provider, from, to));
  }
  providerCostByDay(window: ProviderWindow) {
    return this.engine.read(() => audit.providerCostByDay(window));
  }
  providerRequests(window: ProviderWindow) {
    return this.engine.read(() => audit.providerRequests(window));
  }
  rebuildDailyRollup() {
    return this.engine.write(() => reports.rebuildDailyRollup());
  }

  // the dashboard
  spendByOrg(orgId: string | null, today: number) {
    return this.engine.read(() => dashboard.spendByOrg(orgId, today));
  }
  spendByFeatureDay(window: DayWindow) {
    return this.engine.read(() => dashboard.spendByFeatureDay(window));
  }
  spendByModel(window: DayWindow) {
    return this.engine.read(() => dashboard.spendByModel(window));
  }
  hostedDays(window: DayWindow) {
    return this.engine.read(() => dashboard.hostedDays(window));
  }
  balanceMoves(orgId: string, fromDay: number) {
    return this.engine.read(() => dashboard.balanceMoves(orgId, fromDay));
  }
  refusalsByDay(window: DayWindow) {
    return this.engine.read(() => dashboard.refusalsByDay(window));
  }
  recordRefusal(orgId: string, feature: Feature, code: RefusalDay["code"], now: number) {
    return this.engine.write(() => dashboard.recordRefusal(orgId, feature, code, now));
  }
  callsOfOrg(orgId: string, limit: number) {
    return this.engine.read(() => dashboard.callsOfOrg(orgId, limit));
  }
  startSession(session: DashboardSession) {
    return this.engine.write(() => dashboard.startSession(session));
  }
  findSession(idHash: string, now: number) {
    return this.engine.read(() => dashboard.findSession(idHash, now));
  }
  async endSession(idHash: string) {
    await this.engine.writeOne(dashboard.endSession, { idHash });
  }
  revokeAllSessions() {
    return this.engine.write(() => dashboard.revokeAllSessions());
  }
  recordReconcile(run: ReconcileRun) {
    return this.engine.write(() => dashboard.recordReconcile(run));
  }
  lastReconcile() {
    return this.engine.read(() => dashboard.lastReconcile());
  }
}
