import { z } from "zod";
import { describeLead, leadSchema } from "./lead.js";
import { jsonExample } from "./model-json.js";
import { llmTool } from "./llm-tool.js";
import { llmOptions } from "./shared.js";

const TONES = ["friendly", "professional", "direct", "playful", "formal"] as const;
const CHANNELS = ["email", "linkedin", "sms"] as const;

const answer = z.object({ subject: z.string().nullable(), message: z.string().min(1) });

const SYSTEM_PROMPT = `You write first-touch outreach that gets replies: short, specific to the lead, about their problem rather than the seller.

Rules:
- Open with something true and specific about the lead (from the details given); never fake familiarity or invent facts.
- One clear idea: the outcome the offer gives someone like them. No feature lists.
- End with the requested call to action, as a low-effort question.
- Respect the channel: email gets a subject line of at most 8 words; linkedin and sms get subject null; sms stays under 300 characters.
- Stay within the word limit. Plain text, no placeholders like [Name]: use what you know or leave it out.

${jsonExample({ subject: "Scheduling at your new Austin location", message: "Hi Dana, ..." })}`;

export const outreachDraft = llmTool({
  name: "outreach_draft",
  title: "Draft an outreach message",
  description:
    "Drafts a personalised first-touch message (email with subject, LinkedIn or SMS) for a lead and your offer, in the tone " +
    "you choose. Paid: OpenRouter cost x markup.",
  input: z.strictObject({
    lead: leadSchema,
    offer: z.string().trim().min(10).max(3_000).describe("What you offer and the outcome it gives."),
    tone: z.enum(TONES).default("professional").describe("Voice of the message."),
    channel: z.enum(CHANNELS).default("email").describe("Where it will be sent."),
    call_to_action: z.string().trim().min(1).max(300).optional().describe("What you want the lead to do, e.g. 'book a 15-minute call'."),
    sender: z.string().trim().min(1).max(200).optional().describe("Who signs it (name, role, company)."),
    max_words: z.number().int().min(20).max(400).default(120).describe("Upper bound on the message length in words."),
    ...llmOptions,
  }),
  system: SYSTEM_PROMPT,
  brief: (args) => [
    ["Lead", describeLead(args.lead)],
    ["Offer", args.offer],
    ["Tone", args.tone],
    ["Channel", args.channel],
    ["Call to action", args.call_to_action ?? "a short reply or a quick call"],
    ["Sender", args.sender],
    ["Word limit", String(args.max_words)],
  ],
  json: answer,
  extraOutput: {
    subject: z.string().optional().describe("Email subject line (absent for LinkedIn and SMS)."),
    channel: z.enum(CHANNELS).describe("Channel the message is written for."),
  },
  shape: (a, args) => ({ text: a.message, subject: args.channel === "email" ? a.subject : null, channel: args.channel }),
});
