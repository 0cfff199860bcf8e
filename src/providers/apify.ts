/**
 * Apify actor runs through `apify-client`. A run is started
 * (never `call()`ed: that streams the actor log to stdout) by a client that
 * does not retry, because a retried POST could start a second paid run. From
 * the moment the run id is known the run is never let go: the caller records
 * the id first, polling retries with backoff, an abort of the caller's signal
 * aborts the run on Apify and waits for its final state, and if Apify cannot
 * be reached any more the failure carries the run id for the reconciler.
 * FAILED, TIMED-OUT and ABORTED runs are results, not errors: they cost money.
 */
import { ApifyApiError, ApifyClient, type ActorRun, type PaginatedList } from "apify-client";
import { NO_TOKENS, readProviderCost, refCostOf, type RefCost, type ReportedCost } from "./cost.js";
import { errorKind, providerFault } from "../errors.js";
import { causeCode, NEVER_CONNECTED, ProviderFailure } from "./failure.js";

export interface ApifyProgress {
  status: string;
  itemCount: number;
  usageTotalUsd: number | null;
}

export interface ApifyRunRequest {
  /** e.g. "apify/google-search-scraper" (the client sends it as "apify~google-search-scraper"). */
  actorId: string;
  input: Record<string, unknown>;
  /** The run option maxItems: charged items for pay-per-result actors, and the most items returned. */
  maxItems: number;
  /** The run option maxTotalChargeUsd: Apify never charges the run more than this. */
  maxTotalChargeUsd: number;
  /** Aborting it aborts the run on Apify; runActor then returns the run's final state. */
  signal: AbortSignal;
  /** Awaited as soon as the start call returns the run id, before anything else happens. */
  onRunStarted: (runId: string) => Promise<void>;
  /** Called about every progressIntervalMs while the run goes. */
  onProgress: (progress: ApifyProgress) => Promise<void>;
  /** Default 2000. */
  progressIntervalMs?: number;
}

export interface ApifyRunResult {
  runId: string;
  status: "SUCCEEDED" | "FAILED" | "TIMED-OUT" | "ABORTED";
  statusMessage: string | null;
  /** The run's usageTotalUsd: missing when Apify did not report it (an unknown cost, never $0). */
  cost: ReportedCost;
  /** The default dataset's items (clean), at most maxItems. */
  items: Record<string, unknown>[];
  /** How many items the run's dataset holds (may exceed items.length). */
  itemCount: number;
}

export interface ApifyProvider {
  runActor(request: ApifyRunRequest): Promise<ApifyRunResult>;
  /**
   * The smallest `maxTotalChargeUsd` the actor accepts (its pricing info's
   * minimalMaxTotalChargeUsd), in nano-USD; null when Apify names none or
   * cannot be asked. Read once per actor every few minutes.
   */
  minimumChargeNanoUsd(actorId: string): Promise<bigint | null>;
  /** What a run cost, once it has finished (running until then). Never throws. */
  costOf(runId: string): Promise<RefCost>;
  /**
   * For a run whose results have nowhere to go (its server died): aborts it if
   * it is still going, waits up to `waitSecs` for its final state, and says
   * what it cost. Never throws.
   */
  abandon(runId: string, waitSecs: number): Promise<RefCost>;
}

export interface ApifyOptions {
  token: string;
  /** e.g. http://127.0.0.1:1234, without /v2 (the client appends it). */
  baseUrl: string;
  /** First backoff delay of reads that failed (the client's own retries and ours); default 250. */
  readRetryDelayMs?: number;
}

type FinalStatus = ApifyRunResult["status"];
const FINAL_STATUSES: ReadonlySet<string> = new Set<FinalStatus>(["SUCCEEDED", "FAILED", "TIMED-OUT", "ABORTED"]);
const START_TIMEOUT_SECS = 30;
/** Must stay above the longest waitForFinish hold we ask for. */
const READ_TIMEOUT_SECS = 30;
const MAX_HOLD_SECS = 10;
const CLIENT_READ_RETRIES = 3;
/** How long an actor's minimum charge is trusted before it is read again. */
const MINIMUM_TTL_MS = 10 * 60_000;
/** Our own attempts on top of the client's, so a blip does not lose a run. */
const RUN_READ_ATTEMPTS = 4;

/** A run's usageTotalUsd, read through the one gate every provider cost passes. */
export function reportedRunCost(run: Pick<ActorRun, "usageTotalUsd">): ReportedCost {
  return readProviderCost(run.usageTotalUsd);
}

/**
 * The reason only: client errors carry request configs (with the token) that
 * must not travel, and Apify's own message is provider text (kept in the report).
 */
function describe(error: unknown): string {
  if (error instanceof ApifyApiError) return `HTTP ${error.statusCode}${errorKind(error.type) ? ` ${errorKind(error.type)}` : ""}`;
  return causeCode(error) ?? (error instanceof Error ? error.message : String(error));
}

/** What Apify said, for the operator's log, when it said anything. */
const saidBy = (error: unknown): string | undefined => (error instanceof ApifyApiError ? error.message : undefined);

/** A failure in our words with Apify's own (if any) filed under a reference for the log. */
function apifyFailure(billing: "none" | "unknown", what: string, error: unknown, details: { providerRef?: string } = {}): ProviderFailure {
  const said = saidBy(error);
  if (said === undefined) return new ProviderFailure("apify", billing, `${what} (${describe(error)})`, details);
  const fault = providerFault("apify", what, { status: (error as ApifyApiError).statusCode, kind: (error as ApifyApiError).type }, said);
  return new ProviderFailure("apify", billing, fault.message, { ...details, status: (error as ApifyApiError).statusCode, report: fault.report });
}

/** What a failed start call may have cost: nothing if Apify answered or was never reached. */
export function classifyApifyStartError(error: unknown): ProviderFailure {
  if (error instanceof ProviderFailure) return error;
  if (error instanceof ApifyApiError) return apifyFailure("none", "Apify refused the run", error);
  const code = causeCode(error);
  if (code && NEVER_CONNECTED.has(code)) return new ProviderFailure("apify", "none", `cannot reach Apify (${code})`);
  return new ProviderFailure("apify", "unknown", `the Apify start request failed (${describe(error)}); a run may have started`);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const isRefusal = (error: unknown) => error instanceof ApifyApiError && error.statusCode < 500 && error.statusCode !== 429;

export function createApify(options: ApifyOptions): ApifyProvider {
  const retryDelayMs = options.readRetryDelayMs ?? 250;
  const starter = new ApifyClient({ token: options.token, baseUrl: options.baseUrl, maxRetries: 0, timeoutSecs: START_TIMEOUT_SECS });
  const reader = new ApifyClient({
    token: options.token,
    baseUrl: options.baseUrl,
    maxRetries: CLIENT_READ_RETRIES,
    minDelayBetweenRetriesMillis: retryDelayMs,
    timeoutSecs: READ_TIMEOUT_SECS,
  });
  // @apify/log prints INFO to stdout (the MCP channel in stdio mode) and retry
  // warnings with stack traces; our failures say what matters. Each client has its own child logger.
  for (const client of [starter, reader]) client.logger.setLevel(1 /* LogLevel.ERROR */);

  /** Reads something about a started run, retrying with backoff; a run is never given up silently. */
  async function persist<T>(runId: string, doing: string, read: () => Promise<T | undefined>): Promise<T> {
    let last: unknown = "the run is not visible yet";
    for (let attempt = 0; attempt < RUN_READ_ATTEMPTS; attempt++) {
      if (attempt > 0) await sleep(retryDelayMs * 2 ** (attempt - 1));
      try {
        const value = await read();
        if (value !== undefined) return value;
      } catch (error) {
        last = error;
        if (isRefusal(error) && !(error instanceof ApifyApiError && error.statusCode === 404)) break;
      }
    }
    throw apifyFailure("unknown", `lost track of Apify run ${runId} while ${doing}`, last, { providerRef: runId });
  }

  /** Asks Apify to abort; a refusal means the run already ended, which is fine. */
  const abortRun = (runId: string) =>
    persist(runId, "aborting it", () =>
      reader
        .run(runId)
        .abort()
        .catch((error: unknown) => {
          if (isRefusal(error)) return null;
          throw error;
        }),
    );

  async function readItems(runId: string, datasetId: string, maxItems: number) {
    const items: Record<string, unknown>[] = [];
    let total = 0;
    while (items.length < maxItems) {
      const page = await persist<PaginatedList<Record<string, unknown>>>(runId, "reading its items", () =>
        reader.dataset<Record<string, unknown>>(datasetId).listItems({ clean: true, offset: items.length, limit: maxItems - items.length }),
      );
      total = page.total;
      items.push(...page.items.slice(0, maxItems - items.length));
      if (page.items.length === 0 || items.length >= page.total) break;
    }
    return { items, itemCount: Math.max(total, items.length) };
  }

  async function followRun(request: ApifyRunRequest, started: ActorRun, cancelled: Promise<void>): Promise<ApifyRunResult> {
    const runId = started.id;
    const intervalMs = Math.max(request.progressIntervalMs ?? 2000, 10);
    const holdSecs = Math.min(MAX_HOLD_SECS, Math.floor(intervalMs / 1000));
    let run = started;
    let abortSent = false;
    while (!FINAL_STATUSES.has(run.status)) {
      const sliceStart = Date.now();
      const next = persist(runId, "polling it", () => reader.run(runId).get({ waitForFinish: holdSecs }));
      if (!abortSent) {
        const settled = next.then(
          () => "run" as const,
          () => "run" as const,
        );
        if ((await Promise.race([settled, cancelled.then(() => "cancel" as const)])) === "cancel") {
          abortSent = true;
          await abortRun(runId);
        }
      }
      run = await next;
      if (FINAL_STATUSES.has(run.status)) break;
      const dataset = await persist(runId, "reading its progress", () => reader.dataset(run.defaultDatasetId).get());
      await request.onProgress({ status: run.status, itemCount: dataset.itemCount, usageTotalUsd: run.usageTotalUsd ?? null });
      const rest = intervalMs - (Date.now() - sliceStart);
      if (rest > 0) await (abortSent ? sleep(rest) : Promise.race([sleep(rest), cancelled]));
    }
    const { items, itemCount } = await readItems(runId, run.defaultDatasetId, request.maxItems);
    return { runId, status: run.status as FinalStatus, statusMessage: run.statusMessage ?? null, cost: reportedRunCost(run), items, itemCount };
  }

  async function runActor(request: ApifyRunRequest): Promise<ApifyRunResult> {
    const { signal, maxItems, maxTotalChargeUsd } = request;
    if (!Number.isInteger(maxItems) || maxItems < 1 || !Number.isFinite(maxTotalChargeUsd) || maxTotalChargeUsd < 0) {
      throw new ProviderFailure("apify", "none", "invalid Apify run request: maxItems must be a positive integer and maxTotalChargeUsd a non-negative number");
    }
    if (signal.aborted) throw new ProviderFailure("apify", "none", "the Apify run was cancelled before it started");
    let started: ActorRun;
    try {
      started = await starter.actor(request.actorId).start(request.input, { maxItems, maxTotalChargeUsd });
    } catch (error) {
      throw classifyApifyStartError(error);
    }
    const runId = started.id;
    let onAbort: () => void = () => {};
    const cancelled = new Promise<void>((resolve) => (onAbort = resolve));
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    try {
      await request.onRunStarted(runId);
      return await followRun(request, started, cancelled);
    } catch (error) {
      if (error instanceof ProviderFailure) throw error;
      // A callback failed (the run may be unrecorded): stop the spend, keep the id.
      await abortRun(runId).catch(() => undefined);
      throw apifyFailure("unknown", `Apify run ${runId} was aborted`, error, { providerRef: runId });
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** A run as a RefCost: running until it is final, then its usageTotalUsd (missing is unknown, never $0). */
  function asRefCost(runId: string, run: ActorRun | undefined): RefCost {
    if (!run) return { kind: "not_found", why: `Apify does not know run ${runId}` };
    if (!FINAL_STATUSES.has(run.status)) return { kind: "running", status: run.status };
    return refCostOf(reportedRunCost(run), `Apify reported no usageTotalUsd for run ${runId}`, null, NO_TOKENS);
  }

  const cannotAsk = (runId: string, error: unknown): RefCost => ({ kind: "unknown", why: `cannot read Apify run ${runId} (${describe(error)})` });

  async function costOf(runId: string): Promise<RefCost> {
    return reader
      .run(runId)
      .get()
      .then(
        (run) => asRefCost(runId, run),
        (error: unknown) => cannotAsk(runId, error),
      );
  }

  async function abandon(runId: string, waitSecs: number): Promise<RefCost> {
    const now = await costOf(runId);
    if (now.kind !== "running") return now;
    try {
      await abortRun(runId);
      return asRefCost(runId, await reader.run(runId).waitForFinish({ waitSecs }));
    } catch (error) {
      return cannotAsk(runId, error);
    }
  }

  const minimums = new Map<string, { nano: bigint | null; readAt: number }>();

  async function minimumChargeNanoUsd(actorId: string): Promise<bigint | null> {
    const cached = minimums.get(actorId);
    if (cached && Date.now() - cached.readAt < MINIMUM_TTL_MS) return cached.nano;
    let nano: bigint | null;
    try {
      const actor = await reader.actor(actorId).get();
      // The last pricing info is the one in force; the minimum is only on pay-per-event pricing.
      const current = (actor?.pricingInfos ?? []).at(-1) as { minimalMaxTotalChargeUsd?: unknown } | undefined;
      const minimum = readProviderCost(current?.minimalMaxTotalChargeUsd);
      nano = minimum.kind === "known" ? minimum.nanoUsd : null;
    } catch {
      return cached?.nano ?? null; // keep the last answer; a refused run costs nothing anyway
    }
    minimums.set(actorId, { nano, readAt: Date.now() });
    return nano;
  }

  return { runActor, costOf, abandon, minimumChargeNanoUsd };
}
