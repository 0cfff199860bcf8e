/** The shapes of the simulated OpenRouter: scripted behaviour, the request log, generations, the handle tests hold. */
import type { EchoForm } from "./echo.js";

export interface OpenRouterBehaviour {
  /** Milliseconds before the response starts (headers). */
  latencyMs?: number;
  /**
   * Do the work (and bill it) even if the client went away during `latencyMs`, as a provider does
   * that notices a disconnect only after it started: the client never learns the generation id.
   */
  ignoreDisconnect?: boolean;
  /** Milliseconds after the first streamed chunk before the rest (a stall mid-stream). */
  stallMs?: number;
  /** Exact USD cost to report and bill instead of the price-list cost. */
  costUsd?: number;
  /** Leave `usage.cost` out of the response (the generation endpoint still knows it). */
  omitCost?: boolean;
  /** Answer with this error status and message instead of a completion; nothing is billed. */
  fail?: { status: number; message?: string; retryAfterSeconds?: number };
  /** Fail in-band after the first chunk of a stream (HTTP 200, error chunk); the partial work is billed. */
  inBandError?: string;
  /** Reply text (or a function of the request body) instead of the generated one. */
  reply?: string | ((body: ChatBody) => string);
  /**
   * A misbehaving provider: report this as `usage.cost` and as the generation's `total_cost` (1e300, -1,
   * "0.01", ...) while billing the real cost.
   */
  reportedCost?: unknown;
  /** A misbehaving provider (or proxy): echo the request's Authorization header (in the given form) in the error message of `fail`. */
  echoCredentials?: boolean | EchoForm;
  /**
   * Bring-your-own-key: the upstream provider bills the operator's own key and OpenRouter charges only its
   * fee (5%); `usage.cost` and the generation's `total_cost` are the fee, the rest is `upstream_inference_cost`.
   */
  byok?: boolean;
}

export interface ChatBody {
  model?: unknown;
  messages?: { role?: string; content?: unknown }[];
  max_tokens?: unknown;
  stream?: unknown;
  input?: unknown;
  response_format?: { type?: string };
  encoding_format?: unknown;
}

export interface SimulatedRequest {
  seq: number;
  /** When the request arrived (epoch ms). */
  at: number;
  method: string;
  path: string;
  /** True for requests OpenRouter bills (chat completions, embeddings). */
  paid: boolean;
  status: number;
  model: string | null;
  generationId: string | null;
  /** USD the simulated OpenRouter billed for this request (0 when it refused it). */
  billedUsd: number;
  cancelled: boolean;
  authorization: string | undefined;
  body: unknown;
}

export interface Generation {
  id: string;
  model: string;
  costUsd: number;
  /** What the generation endpoint reports as total_cost (normally costUsd). */
  reportedCost: unknown;
  promptTokens: number;
  completionTokens: number;
  visibleAt: number;
  cancelled: boolean;
  streamed: boolean;
  byok: boolean;
}

export interface OpenRouterSimulator {
  baseUrl: string;
  apiKey: string;
  requests: SimulatedRequest[];
  defaults: OpenRouterBehaviour & {
    generationLagMs: number;
    /** Answer GET /models with this error status. */
    modelsFailure?: number;
    /** Answer GET /key with this error status. */
    keyFailure?: number;
    /** Answer GET /key only once this settles (a slow key endpoint). */
    keyHeld?: Promise<void>;
    /** Models served but left out of GET /models (their price is unknown to clients). */
    unlistedModels: Set<string>;
  };
  behave(...next: OpenRouterBehaviour[]): void;
  /**
   * Holds the answers: paid requests arriving from now on wait, before any byte of their answer, until the
   * returned function is called (as a provider does that is slow to start; a request whose client goes away
   * meanwhile is cancelled and not billed).
   */
  hold(): () => void;
  /**
   * Pauses streamed answers after their first chunk (the generation begun and billed, its id sent) until the
   * returned function is called, as a provider does that is still generating; a client that goes away meanwhile
   * is billed the prompt only, as OpenRouter bills a cancelled generation.
   */
  pauseStreams(): () => void;
  paidRequests(): SimulatedRequest[];
  /** The most paid requests that were ever in progress at the same time. */
  maxInFlight(): number;
  /** Paid requests the simulator is still working on (billed work may go on after the client left). */
  working(): number;
  close(): Promise<void>;
}
