/**
 * The dashboard's JSON, as types only: the server's reports build these and
 * the browser code reads them, so the two cannot drift apart. (No imports:
 * the browser build compiles this file too.)
 */

/** An amount in credits and the USD value of those credits. */
export interface Amount {
  credits: number;
  usd: number;
}

export type Viewer = { kind: "operator" } | { kind: "tenant"; org: { id: string; name: string } };

export interface BudgetView {
  id: string;
  feature: string | null;
  period: string;
  hard: boolean;
  limit_credits: number;
  used_credits: number;
  /** Used as a percentage of the limit (may pass 100 for a soft budget). */
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
  /** Days the available credit lasts at the last 7 days' average daily spend; null when nothing was spent. */
  days_left: number | null;
  budgets: BudgetView[];
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
  /** Provider cost (cost_usd) for the operator only, here and below. */
  total: Amount & { calls: number; cost_usd?: number };
  /** Credits charged per feature per day of the period (stacked bars). */
  spend_by_feature: { feature: string; credits: number[]; usd: number[] }[];
  /** The balance at the end of each day of the period (UTC). */
  balance: number[];
  spend_by_model: { provider: string; model: string; events: number; spend: Amount; cost_usd?: number }[];
  refusals: { code: string; counts: number[] }[];
  recent_calls: {
    id: string;
    feature: string;
    state: string;
    created_at: string;
    hold_credits: number;
    charged_credits: number;
    cost_usd?: number;
    error_code: string | null;
  }[];
  budgets: BudgetView[];
  /** MCP tasks whose paid run is still going (or stopping after a cancel), newest first. */
  open_tasks: { id: string; tool: string; status: string; status_message: string | null; tool_call_id: string; created_at: string }[];
}

export interface InstanceView {
  id: string;
  kind: string | null;
  host: string | null;
  pid: number | null;
  openCalls: number;
  alive: boolean;
  why: string;
}

export interface HealthPage {
  open_calls: {
    id: string;
    org_id: string;
    feature: string;
    state: string;
    age_seconds: number;
    hold_credits: number;
    owner: string | null;
    owner_status: "alive" | "dead" | "none";
    why: string;
  }[];
  counts: { open: number; unknown: number };
  instances: InstanceView[];
  last_reconcile: { at: string; source: string; instance_id: string | null; summary: Record<string, number> } | null;
}

/** An app an organisation connected with OAuth, as the Connections page shows it. */
export interface ConnectionItem {
  id: string;
  client_name: string;
  client_id: string;
  /** Space-separated: tools:free, tools:paid. */
  scope: string;
  day_cap: Amount;
  spent_today: Amount;
  spent_total: Amount;
  calls: number;
  /** How the organisation was proven: api_key, dashboard or oidc. */
  signed_in_via: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface ConnectionsPage {
  org: { id: string; name: string };
  connections: ConnectionItem[];
}

/** An organisation's money coming in: what it can buy, its auto-recharge, its alerts and webhook deliveries. */
export interface BillingView {
  payments_configured: boolean;
  packs: { name: string; credits: number; usd: number }[];
  recharge: { below_credits: number; to_credits: number; max_month_usd: number; enabled: boolean; disabled_reason: string | null } | null;
  alerts: { id: string; type: string; at: string; data: Record<string, unknown> }[];
  webhooks: { id: string; url: string; created_at: string }[];
  /** Deliveries given up after 24 hours, and how many are still being tried. */
  deliveries: { failed: { event_id: string; type: string; endpoint_id: string; attempts: number; last_error: string | null; at: string }[]; retrying: number };
}
