import { z } from "zod";
import { jsonExample } from "./model-json.js";
import { llmTool } from "./llm-tool.js";
import { llmOptions } from "./shared.js";

const answer = z.object({
  document: z.string().min(1),
  changes: z.array(z.string().min(1)).max(50),
});

const SYSTEM_PROMPT = `You maintain context documents that AI agents rely on. You are given the current document, new information, and statements that are no longer true.

Produce the updated document:
- Keep its structure, headings and tone; change only what the new information requires.
- Add each new fact where it belongs; replace facts it supersedes; delete every retired statement and anything that depends on it.
- Never drop a fact that is still true. Never invent facts.
- List every change you made as a short past-tense line ("Replaced the refund window of 14 days with 30 days").

${jsonExample({ document: "## Summary\n...the full updated Markdown document...", changes: ["Added ...", "Removed ..."] })}`;

export const contextRefresh = llmTool({
  name: "context_refresh",
  title: "Refresh a context document",
  description:
    "Updates an existing context document with new facts and removes statements that no longer hold, keeping everything " +
    "still true; returns the new document and a list of the changes. Paid: OpenRouter cost x markup.",
  input: z.strictObject({
    document: z.string().trim().min(20).max(60_000).describe("The current context document (Markdown)."),
    updates: z.array(z.string().trim().min(1).max(4_000)).min(1).max(30).describe("New information to fold in, one item each."),
    retired: z
      .array(z.string().trim().min(1).max(1_000))
      .max(30)
      .optional()
      .describe("Statements that are no longer true and must disappear from the document."),
    ...llmOptions,
  }),
  system: SYSTEM_PROMPT,
  brief: (args) => [
    ["Current document", args.document],
    ["New information", args.updates.map((u) => `- ${u}`).join("\n")],
    ["No longer true", args.retired?.map((r) => `- ${r}`).join("\n")],
  ],
  json: answer,
  extraOutput: { changes: z.array(z.string()).describe("What was changed, one line each.") },
  shape: (parsed) => ({ text: parsed.document, changes: parsed.changes }),
});
