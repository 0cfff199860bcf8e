/**
 * context_pack_compile: rank documents against a goal with one embeddings
 * request, then compile the best into a pack with one chat request. Two
 * metered provider requests under one hold, one metering block.
 */
import { z } from "zod";
import type { ChatMessage } from "../metering/types.js";
import { sections } from "./llm-tool.js";
import { llmOptions, llmOutput } from "./shared.js";
import { defineTool, PAID, paidCall } from "./tool.js";
import { ICONS } from "./icons.js";

/** How much of each document the ranking embeds. */
const EMBED_CHARS = 8_000;
/** How much source text, in all, the compile request may carry. */
const COMPILE_CHARS = 48_000;

const input = z
  .strictObject({
    goal: z.string().trim().min(10).max(2_000).describe("What the pack is for: the task an agent will do with it."),
    documents: z
      .array(
        z.strictObject({
          title: z.string().trim().min(1).max(200).describe("Document title."),
          content: z.string().trim().min(1).max(50_000).describe("Document text."),
        }),
      )
      .min(1)
      .max(50)
      .describe("Candidate documents; the most relevant are selected."),
    token_budget: z.number().int().min(200).max(8_000).default(2_000).describe("Maximum length of the pack in tokens."),
    top_k: z.number().int().min(1).max(20).default(5).describe("How many documents to compile at most."),
    ...llmOptions,
  })
  .refine((args) => args.documents.reduce((sum, d) => sum + d.content.length, 0) <= 500_000, {
    message: "documents may hold at most 500,000 characters in all",
    path: ["documents"],
  });

type Args = z.output<typeof input>;

const SYSTEM_PROMPT = `You compile context packs: the smallest text that gives an AI agent everything it needs for one task, drawn from the selected documents.

Rules:
- Keep only what serves the goal: facts, rules, numbers, names, examples. Drop marketing filler and repetition.
- Organise by topic with short Markdown headings; cite each fact with its document number in brackets, e.g. [2].
- Quote exact wording where precision matters (policies, prices, commitments).
- Stay within the token budget you are given. No preamble.`;

export function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

const embedText = (d: Args["documents"][number]) => `${d.title}\n${d.content.slice(0, EMBED_CHARS)}`;

function compileMessages(args: Args, chosen: { index: number; title: string }[]): ChatMessage[] {
  const perDocument = Math.floor(COMPILE_CHARS / Math.max(1, chosen.length));
  const docs = chosen.map((c) => `[${c.index + 1}] ${c.title}\n${args.documents[c.index]!.content.slice(0, perDocument)}`);
  return [
    { role: "system", content: SYSTEM_PROMPT },
    {
      role: "user",
      content: sections([
        ["Goal", args.goal],
        ["Token budget", String(args.token_budget)],
        ["Selected documents", docs.join("\n\n")],
      ]),
    },
  ];
}

/** An upper bound of the compile prompt: the goal and the top_k longest documents at their cut. */
function promptBound(args: Args): string {
  const k = Math.min(args.top_k, args.documents.length);
  const perDocument = Math.floor(COMPILE_CHARS / Math.max(1, k));
  const longest = args.documents
    .map((d, index) => ({ index, title: d.title, size: Buffer.byteLength(d.content.slice(0, perDocument)) }))
    .sort((a, b) => b.size - a.size)
    .slice(0, k);
  return compileMessages({ ...args, top_k: k }, longest)
    .map((m) => m.content)
    .join("\n");
}

export const contextPackCompile = defineTool({
  name: "context_pack_compile",
  title: "Compile a context pack",
  description:
    "Ranks your documents against a goal with embeddings, then compiles the most relevant into one context pack within a " +
    "token budget, citing its sources. Two metered OpenRouter requests (embeddings + chat) under one hold; one metering block with the total.",
  input,
  output: z.object({
    ...llmOutput,
    selected: z
      .array(z.object({ index: z.number().int(), title: z.string(), score: z.number() }))
      .describe("Documents compiled into the pack (index into documents), best first, with their similarity to the goal."),
  }),
  annotations: { title: "Compile a context pack", ...PAID },
  icons: [ICONS.draft],
  handler: async (args, context, deps) => {
    const { value, metering } = await deps.metering.runLlm(
      {
        ...paidCall(context, "context_pack_compile", args),
        model: args.model,
        maxTokens: args.max_tokens ?? args.token_budget,
        promptText: promptBound(args),
        embeddingText: [args.goal, ...args.documents.map(embedText)].join("\n"),
      },
      async (session) => {
        const [goal, ...vectors] = await session.embed([args.goal, ...args.documents.map(embedText)]);
        const ranked = vectors
          .map((vector, index) => ({ index, title: args.documents[index]!.title, score: Number(cosine(goal!, vector).toFixed(4)) }))
          .sort((a, b) => b.score - a.score || a.index - b.index)
          .slice(0, args.top_k);
        const completion = await session.chat(compileMessages(args, ranked));
        return { text: completion.text, model: completion.model, selected: ranked };
      },
    );
    return { ...value, metering };
  },
});
