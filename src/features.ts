/**
 * The metered features of the rate card. Each is also the
 * name of the MCP tool that uses it.
 */
export const LLM_FEATURES = [
  "profile_draft",
  "context_author",
  "context_refresh",
  "context_pack_compile",
  "lead_enrichment",
  "lead_qualify",
  "outreach_draft",
  "x_reply_draft",
  "funnel_generate",
] as const;

export const FEATURES = [...LLM_FEATURES, "lead_signal_fetch"] as const;

export type Feature = (typeof FEATURES)[number];
export const PAID_PROVIDERS = ["openrouter", "apify"] as const;
export type PaidProvider = (typeof PAID_PROVIDERS)[number];

export function isFeature(value: string): value is Feature {
  return (FEATURES as readonly string[]).includes(value);
}

export const BUDGET_PERIODS = ["day", "month", "total"] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

export const DEPLOYMENT_MODES = ["hosted", "self_host"] as const;
export type DeploymentMode = (typeof DEPLOYMENT_MODES)[number];

/** An OpenRouter model id: vendor/model, with an optional variant suffix such as `:nitro`. */
export const MODEL_ID_PATTERN = /^[A-Za-z0-9][\w.-]*\/[\w.:-]+$/;
