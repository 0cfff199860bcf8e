/** Tool results as clients receive them: our answers, our refusals. */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import { EcnError } from "../errors.js";

/** A refusal or failure: `isError`, the text beginning with our code, no structured content. */
export function errorResult(error: EcnError): CallToolResult {
  return { isError: true, content: [{ type: "text", text: error.render() }] };
}

/** An answer: the published output as structured content, and as JSON text for clients that read only text. */
export function outputResult(output: unknown): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(output) }], structuredContent: output as Record<string, unknown> };
}

/** `invalid_input: field: problem; field: problem` from a zod error. */
export function invalidInput(error: z.ZodError): EcnError {
  const problems = error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.join(".") : "arguments";
    return `${path}: ${issue.message}`;
  });
  return new EcnError("invalid_input", `${problems.join("; ")}. Nothing was run or charged.`);
}
