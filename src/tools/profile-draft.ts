import { z } from "zod";
import { llmTool } from "./llm-tool.js";
import { llmOptions } from "./shared.js";

const SYSTEM_PROMPT = `You are a senior brand strategist. From the notes and facts you are given, draft a business profile that a sales or marketing team (and the AI agents working for them) can reuse.

Write Markdown with exactly these three sections:

## Offer
What the business sells, the outcome the customer gets, how it is delivered and priced where known, and what makes it different. 3-6 sentences.

## Ideal customer
Who buys: industry or segment, size, role of the buyer, the trigger that makes them look for this, their main objections. Use a short bulleted list.

## Voice
How the business sounds: 3-5 adjectives, words and phrases to use, words to avoid, and one example sentence in that voice.

Rules:
- Use only what the notes and facts support. Where you must infer, write "(assumption)" after the sentence.
- Never contradict a listed fact.
- No preamble and no closing remarks: start with "## Offer".`;

export const profileDraft = llmTool({
  name: "profile_draft",
  title: "Draft a business profile",
  description:
    "Drafts a business profile (offer, ideal customer, voice) from your notes and facts, as Markdown. " +
    "Paid: charged the OpenRouter cost of the completion x markup, in credits (see get_rate_card).",
  input: z.strictObject({
    business_name: z.string().trim().min(1).max(200).describe("Name of the business the profile is for."),
    notes: z
      .string()
      .trim()
      .min(20)
      .max(20_000)
      .describe("Free-form notes about the business: what it sells, to whom, how it works, how it talks. At least a few sentences."),
    facts: z
      .array(z.string().trim().min(1).max(1_000))
      .max(50)
      .optional()
      .describe("Verified facts the profile must respect (prices, locations, guarantees, numbers). The model will not contradict them."),
    website: z.string().url().max(500).optional().describe("The business's website, for reference in the profile."),
    ...llmOptions,
  }),
  system: SYSTEM_PROMPT,
  brief: (args) => [
    ["Business", args.business_name],
    ["Website", args.website],
    ["Notes", args.notes],
    ["Facts (authoritative)", args.facts?.map((fact) => `- ${fact}`).join("\n")],
  ],
  shape: (text) => ({ text }),
});
