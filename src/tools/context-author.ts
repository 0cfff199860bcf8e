import { z } from "zod";
import { llmTool } from "./llm-tool.js";
import { llmOptions } from "./shared.js";

const LENGTHS = { short: "about 300 words", medium: "about 700 words", long: "about 1,500 words" } as const;

const SYSTEM_PROMPT = `You write context documents: the briefing an AI agent (or a new colleague) reads before doing a job, so it knows what is true, what words to use and what to avoid.

From the numbered sources you are given, write Markdown with these sections:

## Summary
What this is about and why it matters for the stated purpose. 2-4 sentences.

## Key facts
Bulleted, one fact per line, each ending with its source number in brackets, e.g. "... [2]". Numbers, names and dates exactly as the sources give them.

## Terms
Words and names the reader must use correctly, with one-line definitions.

## Do and don't
Bullets of concrete guidance for the stated purpose.

## Open questions
What the sources leave unclear or contradict (cite both sources when they disagree). Write "None." if nothing.

Rules: use only the sources; do not invent facts; prefer the most recent source when they conflict and say so; no preamble, start with "## Summary".`;

export const contextAuthor = llmTool({
  name: "context_author",
  title: "Write a context document",
  description:
    "Writes a reusable context document (summary, key facts with source references, terms, do and don't, open questions) " +
    "from your source material, for agents or new colleagues. Paid: OpenRouter cost x markup.",
  input: z.strictObject({
    topic: z.string().trim().min(3).max(300).describe("What the document is about, e.g. 'Acme's refund policy'."),
    purpose: z.string().trim().min(10).max(2_000).describe("The job the reader will do with it, e.g. 'answer support emails about refunds'."),
    sources: z
      .array(
        z.strictObject({
          title: z.string().trim().min(1).max(200).describe("Source name (page, document, call)."),
          content: z.string().trim().min(1).max(30_000).describe("The source text."),
        }),
      )
      .min(1)
      .max(20)
      .describe("Source material, most authoritative first."),
    audience: z.string().trim().min(1).max(500).optional().describe("Who reads it (default: an AI agent doing the job)."),
    length: z.enum(["short", "medium", "long"]).default("medium").describe("Target length: short ~300, medium ~700, long ~1,500 words."),
    ...llmOptions,
  }),
  system: SYSTEM_PROMPT,
  brief: (args) => [
    ["Topic", args.topic],
    ["Purpose", args.purpose],
    ["Audience", args.audience ?? "an AI agent doing the job"],
    ["Length", LENGTHS[args.length]],
    ["Sources", args.sources.map((s, i) => `[${i + 1}] ${s.title}\n${s.content}`).join("\n\n")],
  ],
  shape: (text) => ({ text }),
});
