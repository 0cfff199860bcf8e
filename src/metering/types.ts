/** What the metering core offers the tools, and what it gives back. */
import type { Feature, PaidProvider } from "../features.js";
import type { ChatCompletion, ChatMessage } from "../providers/openrouter.js";

export type { ChatCompletion, ChatMessage };

/** The `metering` block of every paid tool result (SPEC section 7). */
export interface MeteringBlock {
  tool_call_id: string;
  feature: Feature;
  provider: PaidProvider;
  cost_usd: number;
  credits_charged: number;
  balance_credits: number;
}

export interface OrgRef {
  id: string;
  name: string;
}

/** Sends an MCP logging notification to the client of the current request. */
export type Notify = (level: "info" | "warning", message: string) => Promise<void>;

export interface PaidCallRequest {
  org: OrgRef;
  feature: Feature;
  /** The tool's arguments: the idempotency key is bound to them. */
  args: Record<string, unknown>;
  idempotencyKey?: string | undefined;
  /** The MCP request's cancellation signal. */
  signal?: AbortSignal | undefined;
  notify?: Notify | undefined;
  /** LLM features: caller overrides of the rate card's model and max_tokens. */
  llm?: { model?: string | undefined; maxTokens?: number | undefined };
}

export interface PaidCallResult<T> {
  value: T;
  metering: MeteringBlock;
  /** True when an idempotency key matched an earlier call: no provider request was made. */
  replayed: boolean;
}

/**
 * The provider access a tool gets inside a paid call. Every request made
 * through it is capped by the plan, recorded as a usage event and settled
 * with the call: there is no other way for a tool to reach a paid provider.
 */
export interface LlmSession {
  readonly model: string;
  readonly maxTokens: number;
  chat(messages: ChatMessage[]): Promise<ChatCompletion>;
}
