import { z } from "zod";
import { describeLead, leadSchema } from "./lead.js";
import { jsonExample } from "./model-json.js";
import { llmTool } from "./llm-tool.js";
import { llmOptions } from "./shared.js";

const VERDICTS = ["qualified", "nurture", "disqualified"] as const;

const answer = z.object({
  score: z.number().int().min(0).max(100),
  verdict: z.enum(VERDICTS),
  reasons: z.array(z.string().min(1)).min(1).max(10),
});

const SYSTEM_PROMPT = `You qualify sales leads against an ideal customer profile (ICP).

Score the lead from 0 to 100:
- 80-100: clearly matches the ICP and the criteria; worth a seller's time now (verdict "qualified").
- 40-79: partial match or missing information; worth nurturing (verdict "nurture").
- 0-39: does not match, or hits a disqualifier (verdict "disqualified").
Any listed disqualifier that the data confirms caps the score at 20.

Give 2-6 reasons, each naming the evidence (or its absence) and the ICP point it bears on. Missing information lowers confidence, not necessarily the score: say what is missing.

${jsonExample({ score: 72, verdict: "nurture", reasons: ["Industry matches the ICP (dental clinics)", "Company size unknown: ask before booking a demo"] })}`;

export const leadQualify = llmTool({
  name: "lead_qualify",
  title: "Qualify a lead",
  description:
    "Scores a lead 0-100 against your ideal customer profile and criteria, with a verdict (qualified, nurture, " +
    "disqualified) and the reasons. Paid: OpenRouter cost x markup.",
  input: z.strictObject({
    lead: leadSchema,
    ideal_customer: z.string().trim().min(10).max(5_000).describe("Your ideal customer profile: who buys, size, industry, triggers."),
    criteria: z.array(z.string().trim().min(1).max(500)).max(20).optional().describe("Must-haves the lead is checked against."),
    disqualifiers: z.array(z.string().trim().min(1).max(500)).max(20).optional().describe("Facts that rule a lead out."),
    ...llmOptions,
  }),
  system: SYSTEM_PROMPT,
  brief: (args) => [
    ["Ideal customer profile", args.ideal_customer],
    ["Criteria", args.criteria?.map((c) => `- ${c}`).join("\n")],
    ["Disqualifiers", args.disqualifiers?.map((d) => `- ${d}`).join("\n")],
    ["Lead", describeLead(args.lead)],
  ],
  json: answer,
  extraOutput: {
    score: z.number().int().min(0).max(100).describe("Fit with the ideal customer profile, 0-100."),
    verdict: z.enum(VERDICTS).describe("qualified (80+), nurture (40-79) or disqualified (<40)."),
    reasons: z.array(z.string()).describe("Why, with the evidence."),
  },
  shape: (a) => ({
    text: [`Score ${a.score}/100 (${a.verdict})`, ...a.reasons.map((r) => `- ${r}`)].join("\n"),
    score: a.score,
    verdict: a.verdict,
    reasons: a.reasons,
  }),
});
