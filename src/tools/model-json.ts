/**
 * Reading the JSON a model was asked for. Models wrap JSON in code fences or
 * add a sentence around it; anything that still does not match the schema is
 * a clear error (the completion was paid for and is still charged).
 */
import type { z } from "zod";
import { EcnError } from "../errors.js";

/** The outermost JSON object in a model's answer. */
export function extractJsonObject(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  const candidate = (fenced ? fenced[1]! : text).trim();
  const start = candidate.indexOf("{");
  const end = candidate.lastIndexOf("}");
  if (start < 0 || end <= start) throw new SyntaxError("no JSON object in the answer");
  return JSON.parse(candidate.slice(start, end + 1));
}

export function parseModelJson<S extends z.ZodType>(text: string, schema: S, feature: string): z.output<S> {
  let problem: string;
  try {
    const parsed = schema.safeParse(extractJsonObject(text));
    if (parsed.success) return parsed.data;
    problem = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join(".") || "answer"}: ${i.message}`)
      .join("; ");
  } catch (error) {
    problem = error instanceof Error ? error.message : String(error);
  }
  throw new EcnError("provider_error", `the model's answer for ${feature} was not the JSON this tool needs (${problem}). Retry, or pass a stronger model.`);
}

/** The example block every JSON prompt ends with: the model (and the simulator) answer in this shape. */
export function jsonExample(example: unknown): string {
  return "Answer with one JSON object only, in exactly this shape:\n```json\n" + JSON.stringify(example, null, 2) + "\n```";
}
