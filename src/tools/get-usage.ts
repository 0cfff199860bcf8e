import { z } from "zod";
import { FEATURES } from "../features.js";
import { defineTool, READ_ONLY } from "./tool.js";
import { ICONS } from "./icons.js";

const eventSchema = z.object({
  id: z.string(),
  tool_call_id: z.string(),
  feature: z.enum(FEATURES),
  provider: z.enum(["openrouter", "apify"]),
  model: z.string().optional().describe("Model (LLM) or actor (Apify)."),
  provider_request_id: z.string().optional().describe("OpenRouter generation id or Apify run id."),
  outcome: z.enum(["ok", "failed"]),
  prompt_tokens: z.number().int().optional(),
  completion_tokens: z.number().int().optional(),
  cost_usd: z.number().describe("Provider cost."),
  credits_charged: z.number(),
  over_hold: z.boolean().describe("Cost exceeded the hold placed before the call."),
  estimated: z.boolean().describe("Charged the hold because the provider could not say what it cost."),
  settled_at: z.string(),
});

const openTaskSchema = z.object({
  task_id: z.string().describe("The MCP task id (tasks/get, tasks/result, tasks/cancel)."),
  tool: z.string(),
  status: z.enum(["working", "input_required", "completed", "failed", "cancelled"]).describe("working, or cancelled while its run stops."),
  status_message: z.string().optional().describe("Progress so far (for lead_signal_fetch: results pages)."),
  tool_call_id: z.string().describe("Ledger id of its paid call (tool_calls.id)."),
  created_at: z.string(),
  last_updated_at: z.string(),
});

export const getUsage = defineTool({
  name: "get_usage",
  title: "Usage",
  description:
    "Shows your organisation's recent paid provider requests (newest first), totals per feature (cost, credits charged, tokens), " +
    "and the MCP tasks still running in the background. Free.",
  input: z.strictObject({
    since: z.iso.datetime({ offset: true }).or(z.iso.date()).optional().describe("Only events settled at or after this time (ISO 8601 date or date-time)."),
    feature: z.enum(FEATURES).optional().describe("Only this feature."),
    limit: z.number().int().min(1).max(500).default(50).describe("How many recent events to list (totals cover the whole window)."),
  }),
  output: z.object({
    org_id: z.string(),
    events: z.array(eventSchema),
    totals: z
      .array(z.object({ feature: z.enum(FEATURES), events: z.number().int(), cost_usd: z.number(), credits_charged: z.number() }))
      .describe("Per-feature totals since `since` (or all time)."),
    open_tasks: z.array(openTaskSchema).describe("Tasks whose paid run is still going (charged when it ends), newest first."),
  }),
  annotations: { title: "Usage", ...READ_ONLY },
  icons: [ICONS.usage],
  handler: async (args, context, deps) =>
    deps.accounts.usage(context.org.id, {
      limit: args.limit,
      ...(args.since ? { since: Date.parse(args.since) } : {}),
      ...(args.feature ? { feature: args.feature } : {}),
    }),
});
