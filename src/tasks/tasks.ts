/**
 * MCP tasks over the ledger: a paid tool call a client asked to run as a
 * task goes on in the background of the server that took it, whatever
 * happens to the request (in stateless HTTP it ends as soon as the task is
 * created). The task row is the client's handle, in the ledger, so any
 * server on it answers tasks/get and tasks/result; its outcome is written
 * when its call is settled or voided, by whoever does it (this server, or
 * another one's orphan sweep after this one died).
 *
 * This class keeps what only the running server has: each run's abort
 * controller (tasks/cancel here aborts at once; a cancel made on another
 * server is seen at the run's next progress report), and its end (a
 * blocked tasks/result here wakes at once instead of polling).
 */
import { randomBytes } from "node:crypto";
import { EcnError } from "../errors.js";
import { classifyFailure, logFailure, WorkStopped } from "../failures.js";
import type { Ledger, TaskRecord, ToolCallRecord } from "../ledger/index.js";
import type { Logger } from "../log.js";
import type { StoredOutcome } from "../metering/stored-outcome.js";
import type { OrgRef } from "../metering/types.js";

/**
 * What a client is told to wait between two tasks/get: runs take minutes, and every poll is a
 * request counted by the HTTP rate limit (600 a minute per key by default: 50 tasks polled at once).
 */
export const POLL_INTERVAL_MS = 5_000;
/** How often a blocked tasks/result looks again when the run is on another server. */
const RESULT_POLL_MS = 500;
const PAGE = 50;
const CANCELLED = "Cancelled at the client's request (tasks/cancel).";
const STARTED = "Accepted: the run is starting.";
/** How a run stopped by tasks/cancel is described ("the Apify run ... was cancelled with tasks/cancel"). */
const CANCELLED_RUN = "was cancelled with tasks/cancel";

/** What a task's work gets from the task: its abort, its progress, and where to say which call it is. */
export interface TaskControl {
  signal: AbortSignal;
  /** Records progress as the task's status message; a task cancelled elsewhere is stopped here. Never throws. */
  progress: (message: string) => Promise<void>;
  /** Binds the task to the paid call (the task row is written here): pass it on as PaidCallRequest.onCall. */
  onCall: (call: ToolCallRecord) => Promise<void>;
}

export interface TaskStart {
  org: OrgRef;
  tool: string;
  /** The client's `task.ttl`: it may lower the configured one, never raise it. */
  requestedTtlMs?: number | undefined;
  run: (control: TaskControl) => Promise<unknown>;
}

export type CancelOutcome = { kind: "cancelled"; task: TaskRecord } | { kind: "ended"; task: TaskRecord } | { kind: "not_found" };

export interface TasksDeps {
  ledger: Ledger;
  /** A call's outcome as the ledger holds it (Metering.outcomeOf). */
  outcomeOf: (callId: string) => Promise<StoredOutcome | null>;
  logger: Logger;
  /** ECN_TASK_TTL_MS. */
  ttlMs: number;
  now?: () => number;
}

interface Running {
  controller: AbortController;
  ended: Promise<void>;
}

/** 144 random bits: a task id cannot be guessed, on top of belonging to one organisation. */
const newTaskId = () => `task_${randomBytes(18).toString("base64url")}`;

export class Tasks {
  private readonly running = new Map<string, Running>();
  private readonly now: () => number;

  constructor(private readonly deps: TasksDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** How many task runs this server is working on. */
  get runningCount(): number {
    return this.running.size;
  }

  /** The TTL a task gets: the configured one, or less if the client asked for less. */
  ttlFor(requested: number | undefined): number {
    if (requested === undefined || !Number.isFinite(requested)) return this.deps.ttlMs;
    return Math.min(this.deps.ttlMs, Math.max(0, Math.floor(requested)));
  }

  /**
   * Starts the work in the background and resolves with its task as soon as
   * the task is written (right after the hold, before any provider request).
   * Work refused before that (invalid input, no credits, a budget) rejects
   * with its error and leaves no task.
   */
  start(spec: TaskStart): Promise<TaskRecord> {
    const controller = new AbortController();
    const ttlMs = this.ttlFor(spec.requestedTtlMs);
    let taskId: string | null = null;
    let accept!: (task: TaskRecord) => void;
    let refuse!: (error: unknown) => void;
    const accepted = new Promise<TaskRecord>((resolve, reject) => {
      accept = resolve;
      refuse = reject;
    });
    const control: TaskControl = {
      signal: controller.signal,
      progress: (message) => (taskId ? this.noteProgress(taskId, message) : Promise.resolve()),
      onCall: async (call) => {
        if (taskId) return;
        const task = await this.deps.ledger.createTask({
          id: newTaskId(),
          orgId: spec.org.id,
          toolCallId: call.id,
          tool: spec.tool,
          statusMessage: STARTED,
          ttlMs,
          pollIntervalMs: POLL_INTERVAL_MS,
          now: this.now(),
        });
        taskId = task.id;
        this.running.set(task.id, entry);
        accept(task);
      },
    };
    const entry: Running = { controller, ended: Promise.resolve() };
    entry.ended = spec
      .run(control)
      .then(
        () => {
          if (!taskId) refuse(new Error(`${spec.tool} ended without a paid call for its task to follow`));
        },
        (error: unknown) => {
          if (!taskId) return refuse(error);
          // The outcome is in the ledger (the task shows it); here it is only logged.
          logFailure(this.deps.logger, classifyFailure(error), "task run ended in an error", { task: taskId, tool: spec.tool });
        },
      )
      .finally(() => {
        if (taskId) this.running.delete(taskId);
      });
    return accepted;
  }

  private async noteProgress(taskId: string, message: string): Promise<void> {
    try {
      if (!(await this.deps.ledger.noteTaskProgress(taskId, message, this.now()))) {
        // Cancelled on another server: stopped here, on the same path as a cancel made here.
        this.running.get(taskId)?.controller.abort(new WorkStopped(CANCELLED_RUN));
      }
    } catch (error) {
      // The paid run matters more than its progress line.
      this.deps.logger.warn("task progress not recorded", { task: taskId, error: String(error) });
    }
  }

  /** The organisation's task, or null (none, another organisation's, or expired: the same answer). */
  get(orgId: string, taskId: string): Promise<TaskRecord | null> {
    return this.deps.ledger.getTask(orgId, taskId, this.now());
  }

  /** The organisation's tasks, newest first, a page at a time; the cursor is opaque to clients. */
  async list(orgId: string, cursor?: string): Promise<{ tasks: TaskRecord[]; nextCursor?: string }> {
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    const page = await this.deps.ledger.listTasks({ orgId, now: this.now(), limit: PAGE + 1, ...(after ? { after } : {}) });
    const tasks = page.slice(0, PAGE);
    const last = tasks.at(-1);
    return page.length > PAGE && last ? { tasks, nextCursor: Buffer.from(`${last.createdAt}:${last.id}`).toString("base64url") } : { tasks };
  }

  /** The organisation's tasks whose run is still going (or stopping after a cancel), newest first. */
  open(orgId: string, limit = PAGE): Promise<TaskRecord[]> {
    return this.deps.ledger.listTasks({ orgId, now: this.now(), limit, openOnly: true });
  }

  /** Cancels a working task: its row first (so every server sees it), then its run, if it is running here. */
  async cancel(orgId: string, taskId: string): Promise<CancelOutcome> {
    const task = await this.deps.ledger.cancelTask(orgId, taskId, CANCELLED, this.now());
    if (!task) {
      const current = await this.get(orgId, taskId);
      return current ? { kind: "ended", task: current } : { kind: "not_found" };
    }
    this.running.get(taskId)?.controller.abort(new WorkStopped(CANCELLED_RUN));
    return { kind: "cancelled", task };
  }

  /**
   * Waits until the task's call is resolved and answers its outcome; null
   * when the task is not there (or goes while waiting). Gives up when
   * `signal` aborts (the client went away).
   */
  async result(orgId: string, taskId: string, signal: AbortSignal): Promise<{ task: TaskRecord; outcome: StoredOutcome } | null> {
    for (;;) {
      const task = await this.get(orgId, taskId);
      if (!task) return null;
      if (task.resolvedAt !== null) {
        const outcome = await this.deps.outcomeOf(task.toolCallId);
        if (outcome && outcome.kind !== "open") return { task, outcome };
      }
      await this.changeOf(taskId, signal);
      signal.throwIfAborted();
    }
  }

  /** Resolves when the run (if here) ends, after a short poll (if elsewhere), or when `signal` aborts. */
  private changeOf(taskId: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, RESULT_POLL_MS);
      signal.addEventListener("abort", done, { once: true });
      void this.running.get(taskId)?.ended.then(done);
    });
  }

  /** Stops every run this server is working on (a shutdown): each ends as cancelled work does, charged what it cost. */
  stopAll(reason: string): number {
    for (const { controller } of this.running.values()) controller.abort(new WorkStopped(reason));
    return this.running.size;
  }

  /** Resolves once no task run is going here, or after `timeoutMs`; how many are left. */
  async settled(timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.allSettled([...this.running.values()].map((r) => r.ended)), timeout]);
    clearTimeout(timer);
    return this.running.size;
  }
}

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  const match = /^(\d{1,15}):(task_[\w-]{1,64})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!match) throw new EcnError("invalid_input", "cursor is not one this server handed out");
  return { createdAt: Number(match[1]), id: match[2]! };
}
