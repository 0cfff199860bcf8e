import { z } from "zod";
import { FEATURES } from "../features.js";
import { defineTool, READ_ONLY } from "./tool.js";
import { ICONS } from "./icons.js";

export const getRateCard = defineTool({
  name: "get_rate_card",
  title: "Rate card",
  description:
    "Lists what each paid tool costs: every call is charged the provider's real cost x markup, in credits, " +
    "after a hold of at least floor_credits is placed. Also shows each LLM feature's default model and max_tokens. Free.",
  input: z.strictObject({}),
  output: z.object({
    rate_cards: z.array(
      z.object({
        feature: z.enum(FEATURES).describe("Feature (the paid tool of the same name)."),
        provider: z.enum(["openrouter", "apify"]).describe("Provider doing the paid work."),
        model: z.string().optional().describe("Default model (LLM features)."),
        max_tokens: z.number().int().optional().describe("Default max_tokens (LLM features)."),
        floor_credits: z.number().describe("Minimum hold placed before the call runs."),
        description: z.string(),
      }),
    ),
    markup: z.number().describe("Cost-plus multiplier applied to provider cost."),
    credit_usd_value: z.number().describe("US dollars one credit is worth."),
  }),
  annotations: { title: "Rate card", ...READ_ONLY },
  icons: [ICONS.rateCard],
  handler: async (_args, _context, deps) => deps.accounts.rateCard(),
});
