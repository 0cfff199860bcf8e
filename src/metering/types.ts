/** What the metering core offers the tools, and what it gives back. */
import type { Feature, PaidProvider } from "../features.js";
import type { CallResult, ToolCallRecord, UsageEventInput } from "../ledger/index.js";
import type { ApifyProgress, ApifyRunResult } from "../providers/apify.js";
import type { ChatCompletion, ChatMessage } from "../providers/openrouter.js";

export type { ApifyProgress, ApifyRunResult, ChatCompletion, ChatMessage };

/** The `metering` block of every paid tool result. */
export interface MeteringBlock {
  tool_call_id: string;
  feature: Feature;
  provider: PaidProvider;
  cost_usd: number;
  credits_charged: number;
  balance_credits: number;
  /** Present (true) only in the sandbox: simulated providers, sandbox ledger, no real money. */
  sandbox?: true;
  /**
   * Present (true) only when the provider work was done but the ledger could not be written:
   * the charge above is kept in this server's outcome spool and recorded once the ledger is back.
   */
  charge_pending?: true;
  /** Says what happened when the charge is pending. */
  note?: string;
}

export interface OrgRef {
  id: string;
  name: string;
}

/** Sends an MCP logging notification to the client of the current request. */
export type Notify = (level: "info" | "warning", message: string) => Promise<void>;

/** What a call came through: an app's connection (OAuth) or an API key; neither over stdio. */
export interface CallChannel {
  connectionId: string | null;
  apiKeyId: string | null;
}

export interface PaidCallRequest {
  org: OrgRef;
  /** Recorded on the call and its events; a connection's daily cap applies to it. */
  channel?: CallChannel | undefined;
  feature: Feature;
  /** The tool's arguments: the idempotency key is bound to them. */
  args: Record<string, unknown>;
  idempotencyKey?: string | undefined;
  /** The MCP request's cancellation signal. */
  signal?: AbortSignal | undefined;
  notify?: Notify | undefined;
  /**
   * A task's hook: told the ledger call this request is bound to as soon as
   * it exists (its hold is placed, nothing sent yet), or the earlier call an
   * idempotency key names. Waiting for an earlier call's outcome is then left
   * to the task. If it throws, nothing is sent and the hold is released.
   */
  onCall?: ((call: ToolCallRecord) => Promise<void>) | undefined;
}

export interface LlmCallRequest extends PaidCallRequest {
  /** Overrides of the rate card's model and max_tokens. */
  model?: string | undefined;
  maxTokens?: number | undefined;
  /** Every character the chat prompt may contain (an upper bound), for the worst-case hold. */
  promptText: string;
  /** Text an embeddings request will send, when the tool ranks documents first. */
  embeddingText?: string | undefined;
}

export interface ActorCallRequest extends PaidCallRequest {
  /** The caller's cost cap in micro-credits (default: the rate card floor). */
  maxCostMicroCredits?: bigint | undefined;
}

export interface PaidCallResult<T> {
  value: T;
  metering: MeteringBlock;
  /** True when an idempotency key matched an earlier call: no provider request was made. */
  replayed: boolean;
}

/**
 * The provider access an LLM tool gets inside a paid call. Every request made
 * through it is capped by the plan, recorded as a usage event and settled
 * with the call: there is no other way for a tool to reach a paid provider.
 */
export interface LlmSession {
  readonly model: string;
  readonly maxTokens: number;
  chat(messages: ChatMessage[], options?: { json?: boolean }): Promise<ChatCompletion>;
  /** Embeds texts (one metered request); vectors in input order. */
  embed(texts: string[]): Promise<number[][]>;
}

/** The provider access of an Apify tool: one capped actor run. */
export interface ActorSession {
  readonly actorId: string;
  /** The run's cost cap in USD, derived from the hold. */
  readonly maxTotalChargeUsd: number;
  run(input: Record<string, unknown>, options: { maxItems: number; onProgress: (progress: ApifyProgress) => Promise<void> }): Promise<ApifyRunResult>;
}

/** What the metering core reports as it works, for metrics and traces. Implementations must not throw. */
export type MeteringEvent =
  | { kind: "hold_rejected"; feature: Feature; reason: "insufficient_credits" | "budget_exceeded" }
  | {
      kind: "resolved";
      /** The call: whose it is, what it came through (API key or OAuth connection), the markup and credit value it was held (and charged) at. */
      call: Pick<ToolCallRecord, "id" | "orgId" | "markup" | "creditUsdValue" | "connectionId" | "apiKeyId">;
      feature: Feature;
      provider: PaidProvider;
      outcome: "settled" | "voided" | "unknown";
      costNanoUsd: bigint;
      chargedMicroCredits: bigint;
    };

export type MeteringObserver = (event: MeteringEvent) => void;

/**
 * An outcome of a paid call that the ledger could not take when it was
 * known: a provider reference, or the call's resolution (settle, void,
 * unknown) with everything needed to write it later exactly as it would have
 * been written then (its events, its result, its original timestamp).
 */
export type SpooledOutcome =
  | { kind: "ref"; callId: string; ref: string }
  | { kind: "settle"; callId: string; events: UsageEventInput[]; result: CallResult; now: number }
  | { kind: "void"; callId: string; events: UsageEventInput[]; error: { code: string; message: string }; now: number }
  | { kind: "unknown"; callId: string; code: string; message: string };

/** Where a server keeps the outcomes the ledger could not take, until it can (see fleet/spool/). */
export interface OutcomeSpool {
  /** Keeps the outcome durably (written and synced) and schedules its replay; false when it could not be kept. */
  keep(outcome: SpooledOutcome): boolean;
  /** A ledger write just succeeded: anything pending is replayed now. Cheap when nothing is pending. */
  ledgerWrote(): void;
}
