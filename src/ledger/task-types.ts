/** MCP tasks as the ledger keeps them: a paid tool call run in the background, owned by one organisation. */
import type { CallState } from "./types.js";

export type TaskState = "working" | "input_required" | "completed" | "failed" | "cancelled";

export interface TaskRecord {
  id: string;
  orgId: string;
  toolCallId: string;
  tool: string;
  state: TaskState;
  /** Progress while it works; why it was cancelled. */
  statusMessage: string | null;
  ttlMs: number;
  pollIntervalMs: number;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  /** When its call was settled or voided (null while the call is open): the fields below are known from then on. */
  resolvedAt: number | null;
  chargedMicroCredits: bigint | null;
  costNanoUsd: bigint | null;
  errorCode: string | null;
  errorMessage: string | null;
  /** Its tool call's state now (`unknown`: the run ended, its cost is not confirmed yet). */
  callState: CallState;
}

export interface TaskInput {
  id: string;
  orgId: string;
  toolCallId: string;
  tool: string;
  statusMessage: string | null;
  ttlMs: number;
  pollIntervalMs: number;
  now: number;
}

export interface TaskQuery {
  orgId: string;
  now: number;
  limit: number;
  /** Only tasks whose call is still open (running, or stopping after a cancel). */
  openOnly?: boolean;
  /** The page after this task (newest first). */
  after?: { createdAt: number; id: string };
}

/** The Ledger's task side. Every read is scoped to one organisation: another's task is simply not there. */
export interface TaskLedger {
  /**
   * Writes a task for a tool call of the organisation: working while the call
   * is open, or already completed/failed (with its charge) if it has been
   * resolved (a retry with an idempotency key binds to the first call).
   */
  createTask(input: TaskInput): Promise<TaskRecord>;
  /** The organisation's task; null when there is none, or it expired. */
  getTask(orgId: string, taskId: string, now: number): Promise<TaskRecord | null>;
  listTasks(query: TaskQuery): Promise<TaskRecord[]>;
  /** Records progress on a working task; false when it is no longer working (cancelled, or gone). */
  noteTaskProgress(taskId: string, message: string, now: number): Promise<boolean>;
  /** working -> cancelled, for the organisation's task; null when it has no such task still working. */
  cancelTask(orgId: string, taskId: string, message: string, now: number): Promise<TaskRecord | null>;
  /** Deletes tasks whose call is resolved and whose time to be kept is over; how many. */
  deleteExpiredTasks(now: number): Promise<number>;
}
