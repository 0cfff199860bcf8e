/** The JSON the page reads from /api/v1/dashboard/ (the same answers a bearer key gets). */
import type { Amount } from "./format.js";

export type Viewer = { kind: "operator" } | { kind: "tenant"; org: { id: string; name: string } };

export interface Budget {
  id: string;
  feature: string | null;
  period: string;
  hard: boolean;
  limit_credits: number;
  used_credits: number;
  fill_pct: number;
}

export interface OrgSummary {
  id: string;
  name: string;
  balance: Amount;
  held: Amount;
  available: Amount;
  spend_today: Amount;
  spend_7d: Amount;
  spend_30d: Amount;
  days_left: number | null;
  budgets: Budget[];
}

export interface PeriodView {
  name: string;
  from: string;
  to: string;
  days: string[];
}

export interface OrgDetail {
  summary: OrgSummary;
  period: PeriodView;
  total: Amount & { calls: number; cost_usd?: number };
  spend_by_feature: { feature: string; credits: number[]; usd: number[] }[];
  balance: number[];
  spend_by_model: { provider: string; model: string; events: number; spend: Amount; cost_usd?: number }[];
  refusals: { code: string; counts: number[] }[];
  recent_calls: { id: string; feature: string; state: string; created_at: string; hold_credits: number; charged_credits: number; cost_usd?: number; error_code: string | null }[];
  budgets: Budget[];
}

export interface MarginLine {
  feature: string;
  calls: number;
  cost_usd: number;
  revenue_usd: number;
  margin_usd: number;
  margin_pct: number | null;
  estimated_events: number;
  over_hold_events: number;
  unsettled_calls: number;
  flags: string[];
  markups?: { markup: string }[];
}

export interface MarginsPage {
  period: PeriodView;
  report: { markup: number; implied_margin_pct: number; features: MarginLine[]; total: MarginLine; losing_features: string[]; markups?: string[] };
  daily: { cost_usd: number[]; revenue_usd: number[] };
}

export interface HealthPage {
  open_calls: { id: string; org_id: string; feature: string; state: string; age_seconds: number; hold_credits: number; owner: string | null; owner_status: string; why: string }[];
  counts: { open: number; unknown: number };
  instances: { id: string; kind: string | null; host: string | null; pid: number | null; openCalls: number; alive: boolean; why: string }[];
  last_reconcile: { at: string; source: string; instance_id: string | null; summary: Record<string, number> } | null;
}

export class SignedOut extends Error {}

/** GET a data route; a 401 means the session is gone. */
export async function load<T>(path: string): Promise<T> {
  const res = await fetch(`/api/v1/dashboard/${path}`, { credentials: "same-origin" });
  if (res.status === 401) throw new SignedOut();
  const body = (await res.json()) as T & { error?: { message: string } };
  if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  return body;
}

export async function signIn(key: string): Promise<Viewer> {
  const res = await fetch("/dashboard/session", { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ key }) });
  const body = (await res.json()) as { viewer?: Viewer; error?: { message: string } };
  if (!res.ok || !body.viewer) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  return body.viewer;
}

export async function signOut(): Promise<void> {
  await fetch("/dashboard/session", { method: "DELETE", credentials: "same-origin" });
}
