/**
 * Field types the configuration's variables share (config.ts and its parts,
 * config-billing.ts): secrets, URLs, decimals.
 */
import { z } from "zod/v3";
import { parseDecimal, type Decimal } from "./money.js";

/** A secret: trimmed, and unset when empty. */
export const optionalSecret = z
  .string()
  .optional()
  .transform((value) => (value && value.trim() ? value.trim() : undefined));

/** An http(s) URL, without trailing slashes. */
export const httpUrl = z
  .string()
  .url({ message: "must be an http(s) URL" })
  .refine((value) => /^https?:\/\//.test(value), { message: "must be an http(s) URL" })
  .transform((value) => value.replace(/\/+$/, ""));

/** A decimal (money.ts) that `valid` accepts; the message says what is expected. */
export function decimalVar(description: string, valid: (d: Decimal) => boolean) {
  return z.string().transform((text, ctx) => {
    try {
      const value = parseDecimal(text);
      if (valid(value)) return value;
    } catch {
      // reported below with the same message
    }
    ctx.addIssue({ code: "custom", message: `must be ${description} (got "${text}")` });
    return z.NEVER;
  });
}

/** A PostgreSQL database URL. */
export const postgresUrl = z
  .string()
  .refine((value) => /^postgres(ql)?:\/\/./.test(value) && URL.canParse(value), { message: "must be a postgres:// (or postgresql://) URL" });
