import { z } from "zod";
import { jsonExample } from "./model-json.js";
import { llmTool } from "./llm-tool.js";
import { llmOptions } from "./shared.js";

const CHANNELS = ["ads", "social", "landing_page", "email", "webinar", "sms", "sales_call", "content"] as const;

const stageSchema = z.object({
  name: z.string().min(1).describe("Stage name, e.g. Awareness."),
  goal: z.string().min(1).describe("What the stage must achieve."),
  channel: z.string().min(1).describe("Where it happens."),
  headline: z.string().min(1),
  body: z.string().min(1),
  call_to_action: z.string().min(1),
});

const SYSTEM_PROMPT = `You design marketing funnels: a sequence of stages that takes a stranger in the target audience to a paying customer.

For each stage give: its name, its goal (a measurable step, e.g. "email opt-in"), the channel, and ready-to-use copy: a headline (at most 12 words), body copy (2-4 sentences), and one call to action that leads to the next stage.
Rules: the stages connect (each call to action leads to the next stage); the copy speaks to the audience's problem in their words; only promise what the offer delivers; use the preferred channels where they fit.

${jsonExample({
  stages: [
    { name: "Awareness", goal: "Click to the guide", channel: "social", headline: "...", body: "...", call_to_action: "Get the free guide" },
    { name: "Conversion", goal: "Book a call", channel: "email", headline: "...", body: "...", call_to_action: "Book a 15-minute call" },
  ],
})}`;

export const funnelGenerate = llmTool({
  name: "funnel_generate",
  title: "Generate a marketing funnel",
  description:
    "Generates a marketing funnel for your offer and audience: 3-7 connected stages, each with goal, channel and copy " +
    "(headline, body, call to action). Paid: OpenRouter cost x markup.",
  input: z.strictObject({
    business: z.string().trim().min(10).max(5_000).describe("The business: what it is and what makes it credible."),
    offer: z.string().trim().min(10).max(3_000).describe("What the funnel sells, with price if known."),
    audience: z.string().trim().min(10).max(3_000).describe("Who the funnel is for and what problem they have."),
    stages: z.number().int().min(3).max(7).default(4).describe("Number of stages."),
    channels: z.array(z.enum(CHANNELS)).max(8).optional().describe("Preferred channels."),
    goal: z.string().trim().min(1).max(500).optional().describe("The end goal if not a sale, e.g. 'booked demo'."),
    ...llmOptions,
  }),
  system: SYSTEM_PROMPT,
  brief: (args) => [
    ["Business", args.business],
    ["Offer", args.offer],
    ["Audience", args.audience],
    ["Number of stages", String(args.stages)],
    ["Preferred channels", args.channels?.join(", ")],
    ["End goal", args.goal],
  ],
  json: z.object({ stages: z.array(stageSchema).min(2).max(7) }),
  extraOutput: { stages: z.array(stageSchema).describe("The funnel, first stage first.") },
  shape: (a) => ({
    stages: a.stages,
    text: a.stages.map((s, i) => `### ${i + 1}. ${s.name} (${s.channel})\nGoal: ${s.goal}\n**${s.headline}**\n${s.body}\n→ ${s.call_to_action}`).join("\n\n"),
  }),
});
