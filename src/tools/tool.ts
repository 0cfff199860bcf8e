/** What a tool is: schemas, annotations and a handler that gets its dependencies passed in. */
import type { Icon, ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import type { Accounts } from "../accounts/accounts.js";
import type { BuyCredits } from "../billing/billing.js";
import type { Metering } from "../metering/meter.js";
import type { PublicData } from "../metering/public-data.js";
import type { Feature } from "../features.js";
import type { CallChannel, MeteringBlock, Notify, OrgRef, PaidCallRequest } from "../metering/types.js";

export interface ToolContext {
  /** The organisation the call acts for: from the server's configuration or the API key, never from arguments. */
  org: OrgRef;
  /** The connection or API key the request came through (HTTP mode); a connection's daily cap applies to its paid calls. */
  channel?: CallChannel | undefined;
  signal: AbortSignal;
  notify: Notify;
  /** Reports progress to clients that asked for it (no-op otherwise); sent only when `progress` is above the last value sent. In a task, also its status message. */
  progress: (progress: number, message?: string, total?: number) => Promise<void>;
  /** In a task: told the ledger call the paid work is bound to, as soon as it exists (see PaidCallRequest.onCall). */
  onCall?: PaidCallRequest["onCall"];
}

export interface ToolDeps {
  metering: Metering;
  accounts: Accounts;
  publicData: PublicData;
  /** Buying credits (Stripe Checkout); absent where the server was built without it. */
  billing?: BuyCredits | undefined;
}

/**
 * A tool result as a handler may write it: `null` where the published output
 * schema has an optional field. The server leaves those fields out
 * (publishedOutput), so clients see optional fields, never `type: [x, "null"]`.
 */
export type WithNulls<T> = T extends readonly (infer U)[]
  ? WithNulls<U>[]
  : T extends object
    ? { [K in keyof T]: undefined extends T[K] ? WithNulls<Exclude<T[K], undefined>> | null | undefined : WithNulls<T[K]> }
    : T;

/** The result as published: every null-valued field left out, at any depth. */
export function publishedOutput(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(publishedOutput);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (field !== null && field !== undefined) out[key] = publishedOutput(field);
  return out;
}

export interface ToolDefinition<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  /** What clients and connector directories draw next to the tool. */
  icons: Icon[];
  /** "optional": a client may run it as an MCP task (its listing says so; default: it may not). */
  taskSupport?: "optional";
  handler: (args: z.output<I>, context: ToolContext, deps: ToolDeps) => Promise<WithNulls<z.output<O>>>;
}

/** Keeps the handler's argument and result types tied to the schemas. */
export function defineTool<I extends z.ZodType, O extends z.ZodType>(tool: ToolDefinition<I, O>): ToolDefinition {
  return tool;
}

/** Reads the organisation's own ledger: changes nothing, reaches nothing outside. */
export const READ_ONLY: ToolAnnotations = { readOnlyHint: true, openWorldHint: false };
/**
 * Spends the organisation's credits on a provider outside (what connector
 * directories call destructive: it cannot be undone), and a repeat is a new
 * charge unless an idempotency key says otherwise.
 */
export const PAID: ToolAnnotations = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true };

/** The part of every paid call's request that comes from the MCP call itself: who, what, and its signals. */
export function paidCall(context: ToolContext, feature: Feature, args: { idempotency_key?: string | undefined }): PaidCallRequest {
  return {
    org: context.org,
    channel: context.channel,
    feature,
    args: args,
    idempotencyKey: args.idempotency_key,
    signal: context.signal,
    notify: context.notify,
    onCall: context.onCall,
  };
}

/**
 * A paid tool's output: what the work returned, with the call's metering
 * block. The one shape for a live answer and for a task's result read back
 * from the ledger later.
 */
export function paidOutput<T extends object>(value: T, metering: MeteringBlock): T & { metering: MeteringBlock } {
  return { ...value, metering };
}
