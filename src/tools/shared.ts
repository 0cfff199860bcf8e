/** Schema pieces every paid tool shares. */
import { z } from "zod";
import { FEATURES, MODEL_ID_PATTERN } from "../features.js";

export const meteringSchema = z
  .object({
    tool_call_id: z.string().describe("Ledger id of this call (tool_calls.id)."),
    feature: z.enum(FEATURES).describe("Rate-card feature the call was billed under."),
    provider: z.enum(["openrouter", "apify"]).describe("Provider that did the paid work."),
    cost_usd: z.number().describe("What the provider charged for the work, in USD."),
    credits_charged: z.number().describe("Credits charged: ceil(cost_usd x markup / credit_usd_value); 0 in self_host mode."),
    balance_credits: z
      .number()
      .describe("Wallet balance after the charge, in credits (while the charge is pending: the balance when the call was held, less this charge)."),
    sandbox: z.literal(true).optional().describe("Present only in the sandbox: simulated providers and a separate ledger, no real money."),
    charge_pending: z
      .literal(true)
      .optional()
      .describe(
        "Present only when the work was done but the ledger could not be written: the charge above is kept by the server and recorded once the ledger is back.",
      ),
    note: z.string().optional().describe("Present with charge_pending: what happened to the charge."),
  })
  .describe("What this call cost and what it was charged.");

export const modelOption = z
  .string()
  .min(3)
  .max(200)
  .regex(MODEL_ID_PATTERN, "an OpenRouter model id such as openai/gpt-4o-mini")
  .describe("OpenRouter model id (vendor/model). Default: the rate card's model for this feature.");

export const maxTokensOption = z
  .number()
  .int()
  .min(16)
  .max(16_000)
  .describe("Upper bound on generated tokens (caps the cost). Default: the rate card's max_tokens.");

export const idempotencyKeyOption = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x20-\x7E]+$/, "printable ASCII characters only")
  .describe("Optional key: repeating a call with the same key and arguments returns the first result without a second charge.");

/** The optional fields every LLM tool takes. */
export const llmOptions = {
  model: modelOption.optional(),
  max_tokens: maxTokensOption.optional(),
  idempotency_key: idempotencyKeyOption.optional(),
};

/** The output every LLM tool returns at least. */
export const llmOutput = {
  text: z.string().describe("The generated text."),
  model: z.string().describe("Model that generated it."),
  metering: meteringSchema,
};
