/**
 * One shape for the drafting tools: build the messages from the arguments,
 * run one metered chat completion, turn the answer into the tool's output.
 * Tools that ask for JSON validate it with zod; an unusable answer fails
 * clearly and is still charged (the model did the work).
 */
import { z } from "zod";
import type { Feature } from "../features.js";
import type { ChatMessage } from "../metering/types.js";
import { parseModelJson } from "./model-json.js";
import { llmOutput } from "./shared.js";
import { defineTool, PAID, paidCall, type ToolDefinition, type WithNulls } from "./tool.js";
import { ICONS } from "./icons.js";

interface LlmOptionsArgs {
  model?: string | undefined;
  max_tokens?: number | undefined;
  idempotency_key?: string | undefined;
}

interface LlmToolSpec<I extends z.ZodObject, J extends z.ZodType | undefined = undefined, X extends z.ZodRawShape = Record<never, never>> {
  name: Feature;
  title: string;
  description: string;
  input: I;
  /** The system prompt: the job, the rules, and (for JSON tools) the answer's shape. */
  system: string;
  /** The user message: labelled sections from the arguments (empty ones are left out). */
  brief: (args: z.output<I>) => Section[];
  /** When set, the model is asked for JSON of this shape. */
  json?: J;
  /** Output fields besides text, model and metering. */
  extraOutput?: X;
  /** Turns the model's answer (parsed JSON, or the text) into the text and extra output fields. */
  shape: (answer: J extends z.ZodType ? z.output<J> : string, args: z.output<I>) => { text: string } & WithNulls<{ [K in keyof X]: z.output<X[K]> }>;
}

export function llmTool<I extends z.ZodObject, J extends z.ZodType | undefined = undefined, X extends z.ZodRawShape = Record<never, never>>(
  spec: LlmToolSpec<I, J, X>,
): ToolDefinition {
  return defineTool({
    name: spec.name,
    title: spec.title,
    description: spec.description,
    input: spec.input,
    output: z.object({ ...llmOutput, ...(spec.extraOutput ?? {}) }),
    annotations: { title: spec.title, ...PAID },
    icons: [ICONS.draft],
    handler: async (args, context, deps) => {
      const options = args as z.output<I> & LlmOptionsArgs;
      const messages: ChatMessage[] = [
        { role: "system", content: spec.system },
        { role: "user", content: sections(spec.brief(args)) },
      ];
      const { value, metering } = await deps.metering.runLlm(
        {
          ...paidCall(context, spec.name, options),
          model: options.model,
          maxTokens: options.max_tokens,
          promptText: messages.map((m) => m.content).join("\n"),
        },
        async (session) => {
          const completion = await session.chat(messages, { json: spec.json !== undefined });
          const answer = spec.json ? parseModelJson(completion.text, spec.json, spec.name) : completion.text;
          return { ...spec.shape(answer as never, args), model: completion.model };
        },
      );
      // The output schema is built from the same pieces, so this is the shape it describes
      // (the compiler cannot follow the spread of the generic extra fields).
      const result: unknown = { ...value, metering };
      return result as never;
    },
  });
}

type Section = [label: string, content: string | undefined | null | false];

/** Renders labelled sections of a user message, skipping empty ones. */
export function sections(parts: Section[]): string {
  return parts
    .filter(([, content]) => content)
    .map(([label, content]) => `${label}:\n${content}`)
    .join("\n\n");
}
