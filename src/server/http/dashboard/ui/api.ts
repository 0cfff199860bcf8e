/** The JSON the page reads from /api/v1/dashboard/ (the same answers a bearer key gets). */
import type { PeriodView, Viewer } from "../../../../reports/views.js";

export type { BillingView, ConnectionItem, ConnectionsPage, HealthPage, OrgDetail, OrgSummary, Viewer } from "../../../../reports/views.js";

/** The margin report, as `ecn-mcp check-margins --json` prints it (the fields the page shows). */
export interface MarkupLine {
  markup: number;
  credit_usd_value: number;
  implied_margin_pct: number;
  calls: number;
  cost_usd: number;
  revenue_usd: number;
  margin_usd: number;
  margin_pct: number | null;
  below_markup_events: number;
}

export interface MarginLine extends Omit<MarkupLine, "markup" | "credit_usd_value" | "implied_margin_pct"> {
  feature: string;
  estimated_events: number;
  over_hold_events: number;
  unsettled_calls: number;
  flags: string[];
  markups: MarkupLine[];
}

export interface MarginsPage {
  period: PeriodView;
  report: { markup: number; implied_margin_pct: number; markups: MarkupLine[]; features: MarginLine[]; total: MarginLine; losing_features: string[] };
  daily: { cost_usd: number[]; revenue_usd: number[] };
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
  const res = await fetch("/dashboard/session", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ key }),
  });
  const body = (await res.json()) as { viewer?: Viewer; error?: { message: string } };
  if (!res.ok || !body.viewer) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  return body.viewer;
}

export async function signOut(): Promise<void> {
  await fetch("/dashboard/session", { method: "DELETE", credentials: "same-origin" });
}

/** Revokes a connection (the app's tokens stop at their next request). */
export async function revokeConnection(id: string): Promise<void> {
  const res = await fetch(`/api/v1/dashboard/connections/${encodeURIComponent(id)}`, { method: "DELETE", credentials: "same-origin" });
  if (res.status === 401) throw new SignedOut();
  if (!res.ok) throw new Error(((await res.json()) as { error?: { message: string } }).error?.message ?? `HTTP ${res.status}`);
}

/** Starts a Stripe Checkout for a pack (the operator names the organisation); the page to send the person to. */
export async function buy(pack: string, org?: string): Promise<string> {
  const res = await fetch("/api/v1/credits/checkout", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ pack, ...(org ? { org } : {}) }),
  });
  if (res.status === 401) throw new SignedOut();
  const body = (await res.json()) as { url?: string; error?: { message: string } };
  if (!res.ok || !body.url) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  return body.url;
}
