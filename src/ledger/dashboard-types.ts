/** What the ledger gives the dashboard: per-day figures read from the daily rollups, sessions, reconcile outcomes. */
import type { Feature, PaidProvider } from "../features.js";
import type { dashboardSessions, reconcileRuns, refusalsDaily } from "./sqlite/schema.js";
import type { RowOf, ToolCallRecord } from "./types.js";

/** A window of whole UTC days: [fromDay, toDay), epoch ms of midnights. */
export interface DayWindow {
  orgId: string | null;
  fromDay: number;
  toDay: number;
}

export interface OrgSpend {
  orgId: string;
  todayMicroCredits: bigint;
  week: bigint;
  month: bigint;
}

export interface FeatureDay {
  day: number;
  feature: Feature;
  calls: number;
  costNanoUsd: bigint;
  chargedMicroCredits: bigint;
}

export interface MarginDay {
  day: number;
  /** The credit value (decimal text) the day's charges were made at. */
  creditUsdValue: string;
  costNanoUsd: bigint;
  chargedMicroCredits: bigint;
}

export interface ModelSpend {
  provider: PaidProvider;
  /** '' when the provider named no model. */
  model: string;
  events: number;
  costNanoUsd: bigint;
  chargedMicroCredits: bigint;
}

/** Net credit movement of a day: grants, refunds and adjustments in, spend out. */
export interface BalanceDay {
  day: number;
  otherMicroCredits: bigint;
  spentMicroCredits: bigint;
}

export interface RefusalDay {
  day: number;
  feature: Feature;
  code: RowOf<typeof refusalsDaily>["code"];
  refusals: number;
}

export interface CallWithCharge extends ToolCallRecord {
  chargedMicroCredits: bigint;
  costNanoUsd: bigint;
}

/**
 * A dashboard sign-in (its org is null for the operator, who sees every
 * organisation; an operator session carries a keyed hash of the credential
 * that opened it, in operatorBinding).
 */
export type DashboardSession = RowOf<typeof dashboardSessions>;

/** What one reconcile did: its row, with the summary's counts per outcome decoded from JSON. */
export type ReconcileRun = Omit<RowOf<typeof reconcileRuns>, "summaryJson"> & { summary: Record<string, number> };

/** The Ledger's dashboard side. */
export interface DashboardReads {
  /** Spend today, over the last 7 and 30 UTC days (today included), per organisation (one, or all with null). */
  spendByOrg(orgId: string | null, today: number): Promise<OrgSpend[]>;
  spendByFeatureDay(window: DayWindow): Promise<FeatureDay[]>;
  spendByModel(window: DayWindow): Promise<ModelSpend[]>;
  /** Hosted provider cost and charges per day and credit value (self-hosted calls earn nothing). */
  hostedDays(window: DayWindow): Promise<MarginDay[]>;
  /** An organisation's credit movements per day from fromDay on (to walk its balance back from today's). */
  balanceMoves(orgId: string, fromDay: number): Promise<BalanceDay[]>;
  refusalsByDay(window: DayWindow): Promise<RefusalDay[]>;
  /** Counts a paid call refused before any provider request. */
  recordRefusal(orgId: string, feature: Feature, code: RefusalDay["code"], now: number): Promise<void>;
  /** An organisation's most recent tool calls, newest first, with what each was charged. */
  callsOfOrg(orgId: string, limit: number): Promise<CallWithCharge[]>;
  startSession(session: DashboardSession): Promise<void>;
  /** The session, unless it expired, was ended, or its key was revoked. */
  findSession(idHash: string, now: number): Promise<DashboardSession | null>;
  endSession(idHash: string): Promise<void>;
  /** Ends every dashboard session (tenants' and the operator's); returns how many there were. */
  revokeAllSessions(): Promise<number>;
  recordReconcile(run: ReconcileRun): Promise<void>;
  lastReconcile(): Promise<ReconcileRun | null>;
}
