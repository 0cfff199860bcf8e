import { z } from "zod";
import type { ChatMessage } from "../metering/types.js";
import { llmOptions, llmOutput } from "./shared.js";
import { defineTool, PAID } from "./tool.js";

const input = z.strictObject({
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
});

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

/** The messages sent to the model: the brief, then the business's material. */
export function profileMessages(args: z.output<typeof input>): ChatMessage[] {
  const parts = [`Business: ${args.business_name}`];
  if (args.website) parts.push(`Website: ${args.website}`);
  parts.push("", "Notes:", args.notes);
  if (args.facts?.length) parts.push("", "Facts (authoritative):", ...args.facts.map((fact) => `- ${fact}`));
  return [
    { role: "system", content: SYSTEM_PROMPT },
    { role: "user", content: parts.join("\n") },
  ];
}

export const profileDraft = defineTool({
  name: "profile_draft",
  title: "Draft a business profile",
  description:
    "Drafts a business profile (offer, ideal customer, voice) from your notes and facts, as Markdown. " +
    "Paid: charged the OpenRouter cost of the completion x markup, in credits (see get_rate_card).",
  input,
  output: z.object(llmOutput),
  annotations: { title: "Draft a business profile", ...PAID },
  handler: async (args, context, deps) => {
    const { value, metering } = await deps.metering.run(
      {
        org: context.org,
        feature: "profile_draft",
        args,
        idempotencyKey: args.idempotency_key,
        signal: context.signal,
        notify: context.notify,
        llm: { model: args.model, maxTokens: args.max_tokens },
      },
      async (session) => {
        const completion = await session.chat(profileMessages(args));
        return { text: completion.text, model: completion.model };
      },
    );
    return { ...value, metering };
  },
});
