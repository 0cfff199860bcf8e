import { z } from "zod";
import { describeLead, leadSchema } from "./lead.js";
import { jsonExample } from "./model-json.js";
import { llmTool } from "./llm-tool.js";
import { llmOptions } from "./shared.js";

/** The profile's shape; `text` is how a field that may be unknown is written (null from the model, absent in the output). */
const profileShape = (text: () => z.ZodType<string | null | undefined>) =>
  z.object({
    company: z.object({
      name: text(),
      industry: text(),
      size_estimate: text().describe("e.g. '11-50 employees'"),
      location: text(),
      website: text(),
      description: text(),
    }),
    person: z.object({
      name: text(),
      title: text(),
      seniority: z.enum(["owner", "executive", "director", "manager", "individual_contributor", "unknown"]),
      department: text(),
    }),
    signals: z.array(z.string()).max(20).describe("Buying signals found in the data (hiring, funding, new location, complaints...)."),
    pain_points: z.array(z.string()).max(20),
    talking_points: z.array(z.string()).max(20).describe("Openers a seller could use, grounded in the data."),
    confidence: z.enum(["low", "medium", "high"]).describe("How well the data supports the profile."),
  });

/** What the model is asked for: unknown fields are null. */
export const leadProfileSchema = profileShape(() => z.string().nullable());
/** What the tool publishes: unknown fields are left out. */
const leadProfileOutput = profileShape(() => z.string().optional());

const EXAMPLE = {
  company: {
    name: "Acme Dental",
    industry: "Dental clinics",
    size_estimate: "11-50 employees",
    location: "Austin, TX",
    website: "https://acmedental.example",
    description: "Family dental practice with three locations.",
  },
  person: { name: "Dana Lee", title: "Practice Manager", seniority: "manager", department: "Operations" },
  signals: ["Opened a third location in 2026"],
  pain_points: ["Front desk overloaded with scheduling calls"],
  talking_points: ["Congratulate on the new location; ask how scheduling scales"],
  confidence: "medium",
};

const SYSTEM_PROMPT = `You are a sales researcher. Turn what is known about a lead into a structured lead profile a seller can act on.

Rules:
- Use only the lead details and the raw data given. Put null where the data says nothing; never guess names, numbers or URLs.
- seniority is one of owner, executive, director, manager, individual_contributor, unknown.
- signals, pain_points and talking_points: short, specific, each grounded in something in the data; empty lists are fine.
- confidence: high when the data is rich and consistent, low when it is thin or contradictory.

${jsonExample(EXAMPLE)}`;

function summary(profile: z.output<typeof leadProfileSchema>): string {
  const who = [profile.person.name, profile.person.title].filter(Boolean).join(", ");
  const where = [profile.company.name, profile.company.industry, profile.company.location].filter(Boolean).join(" · ");
  const lines = [`**${who || "Unknown contact"}** — ${where || "unknown company"} (confidence: ${profile.confidence})`];
  if (profile.signals.length) lines.push(`Signals: ${profile.signals.join("; ")}`);
  if (profile.pain_points.length) lines.push(`Pain points: ${profile.pain_points.join("; ")}`);
  if (profile.talking_points.length) lines.push(`Talking points: ${profile.talking_points.join("; ")}`);
  return lines.join("\n");
}

export const leadEnrichment = llmTool({
  name: "lead_enrichment",
  title: "Enrich a lead",
  description:
    "Turns what you know about a lead (details plus raw data such as web pages, CRM notes or search results) into a " +
    "structured lead profile: company, person, buying signals, pain points, talking points, confidence. Paid: OpenRouter cost x markup.",
  input: z.strictObject({
    lead: leadSchema,
    raw_data: z.string().trim().min(1).max(30_000).optional().describe("Raw text about the lead or company: scraped pages, notes, search results."),
    selling: z.string().trim().min(1).max(2_000).optional().describe("What you sell, so signals and talking points are relevant to it."),
    ...llmOptions,
  }),
  system: SYSTEM_PROMPT,
  brief: (args) => [
    ["Lead", describeLead(args.lead)],
    ["What we sell", args.selling],
    ["Raw data", args.raw_data],
  ],
  json: leadProfileSchema,
  extraOutput: { profile: leadProfileOutput.describe("The structured lead profile (fields nobody could tell are left out).") },
  shape: (profile) => ({ text: summary(profile), profile }),
});
