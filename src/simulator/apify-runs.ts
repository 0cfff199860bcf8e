/**
 * The run model of the fake Apify: a run of a pay-per-event search actor
 * (like apify/google-search-scraper) whose state is a pure function of the
 * clock (the wall clock, or a test's own, moved on when the test says). Its
 * dataset items are results PAGES, each with an `organicResults` array,
 * appearing over the run's duration; every page and the start event
 * are charged. The run stops when the next charge would pass
 * `maxTotalChargeUsd`, so the charged total never exceeds the cap; `maxItems`
 * caps the charged pages but, as on the platform, not what the dataset holds:
 * a run stopped by it delivers one page more, uncharged. Nothing here owns a
 * timer: a run left alone costs nothing to keep, and closing the server
 * leaves nothing behind.
 */
import { randomBytes } from "node:crypto";
import { decimalFromNumber, nanoToUsd, usdToNano } from "../money.js";
import { RunClock } from "./apify-clock.js";
import { runPricingInfo } from "./apify-resources.js";
import { pagesAsked, searchPages } from "./apify-pages.js";
import type { ApifyBehaviour, ApifySimulatedRun, RunSettings } from "./apify-run-types.js";

export type { ApifyBehaviour, ApifySimulatedRun, RunSettings };

/** Status changes that the platform does not make instantly. */
const READY_MS = 15;
const TRANSITION_MS = 60;
export const TERMINAL = new Set(["SUCCEEDED", "FAILED", "TIMED-OUT", "ABORTED"]);

export const apifyId = (): string => randomBytes(12).toString("base64url").replace(/[-_]/g, "x").slice(0, 17);
const toNano = (usd: number): bigint => usdToNano(decimalFromNumber(usd));

interface RunState {
  status: string;
  statusMessage: string | null;
  itemCount: number;
  usageNano: bigint;
  /** Milliseconds after start when the run reached a terminal status, if it did. */
  finishedMs: number | null;
}

export class SimulatedRun implements ApifySimulatedRun {
  readonly id = apifyId();
  readonly datasetId = apifyId();
  readonly keyValueStoreId = apifyId();
  readonly requestQueueId = apifyId();
  readonly startedAt: Date;
  readonly actId: string;
  readonly input: unknown;
  readonly options: { maxItems?: number; maxTotalChargeUsd?: number };
  private abortedAtMs: number | null = null;
  /** The run's own time: the simulator's clock, stopped while a hold (holdAtItems) lasts. */
  private readonly clock: RunClock;
  private readonly startNano: bigint;
  private readonly itemNano: bigint;
  /** Pages the run may charge before a cap stops it, and whether that cap is what ends it. */
  private readonly limit: number;
  private readonly capped: "charge" | "items" | null;
  /** Pages it writes: the charged ones, plus one uncharged page over a maxItems cap. */
  private readonly produced: number;
  private readonly pages: number;

  constructor(readonly settings: RunSettings) {
    this.startedAt = new Date(settings.now());
    this.clock = new RunClock(this.startedAt, settings.now);
    this.actId = settings.actId;
    this.input = settings.input;
    this.options = {
      ...(settings.maxItems !== undefined ? { maxItems: settings.maxItems } : {}),
      ...(settings.maxTotalChargeUsd !== undefined ? { maxTotalChargeUsd: settings.maxTotalChargeUsd } : {}),
    };
    const { behaviour } = settings;
    const capNano = settings.maxTotalChargeUsd === undefined ? null : toNano(settings.maxTotalChargeUsd);
    // An event that would pass the cap is not charged (and the actor stops).
    this.startNano = capNano !== null && toNano(behaviour.startCostUsd) > capNano ? 0n : toNano(behaviour.startCostUsd);
    this.itemNano = toNano(behaviour.costPerItemUsd);
    this.pages = Math.min(behaviour.items, pagesAsked(settings.input) ?? behaviour.items);
    let limit = this.pages;
    let capped: SimulatedRun["capped"] = null;
    if (settings.maxItems !== undefined && settings.maxItems < limit) [limit, capped] = [settings.maxItems, "items"];
    if (capNano !== null && this.itemNano > 0n) {
      const affordable = Number((capNano - this.startNano) / this.itemNano);
      if (affordable < limit) [limit, capped] = [affordable, "charge"];
    }
    this.limit = limit;
    this.capped = capped;
    this.produced = capped === "items" ? Math.min(limit + 1, this.pages) : limit;
    const holdAt = behaviour.holdAtItems;
    if (holdAt !== undefined && holdAt < this.produced && this.pages > 0 && behaviour.durationMs > 0) {
      this.clock.holdAt(Math.max(READY_MS, Math.ceil((holdAt * behaviour.durationMs) / this.pages)));
    }
  }

  /** Lets a held run go on from where it stopped. */
  release(): void {
    this.clock.release();
  }

  /** Asks the run to stop; work done so far stays charged. */
  abort(): void {
    const status = this.status;
    if (this.abortedAtMs === null && (status === "READY" || status === "RUNNING")) {
      this.abortedAtMs = this.clock.elapsed(this.settings.now());
      this.release(); // a held run stops as any other: its clock goes on to ABORTED
    }
  }

  get aborted(): boolean {
    return this.abortedAtMs !== null;
  }
  get status(): string {
    return this.state().status;
  }
  get statusMessage(): string | null {
    return this.state().statusMessage;
  }
  get itemCount(): number {
    return this.state().itemCount;
  }
  get usageNano(): bigint {
    return this.state().usageNano;
  }
  get usageTotalUsd(): number {
    return nanoToUsd(this.usageNano);
  }
  get finished(): boolean {
    return TERMINAL.has(this.status);
  }
  get finishedAt(): Date | null {
    const { finishedMs } = this.state();
    return finishedMs === null ? null : new Date(this.clock.wallAt(finishedMs));
  }

  private itemsAt(ms: number): number {
    const { durationMs } = this.settings.behaviour;
    const items = this.pages;
    const produced = durationMs <= 0 ? items : Math.floor((items * Math.min(ms, durationMs)) / durationMs);
    return Math.min(this.produced, produced);
  }

  private charged(itemCount: number): bigint {
    return this.startNano + BigInt(Math.min(itemCount, this.limit)) * this.itemNano;
  }

  /** The run as the platform would report it `now`. */
  state(now = this.settings.now()): RunState {
    const t = this.clock.elapsed(now);
    const { behaviour, timeoutSecs } = this.settings;
    const timeoutMs = timeoutSecs * 1000;
    // When the limit stops the actor: the moment its last allowed item appears.
    const limitMs = this.capped === null ? Infinity : this.pages <= 0 ? 0 : Math.ceil((this.produced * behaviour.durationMs) / this.pages);
    const endMs = Math.min(behaviour.durationMs, timeoutMs, limitMs);
    const timesOut = endMs < limitMs && (timeoutMs < behaviour.durationMs || behaviour.outcome === "TIMED-OUT");
    if (this.abortedAtMs !== null && this.abortedAtMs < endMs) {
      const items = this.itemsAt(this.abortedAtMs);
      const done = t >= this.abortedAtMs + TRANSITION_MS;
      return {
        status: done ? "ABORTED" : "ABORTING",
        statusMessage: done ? "Run was aborted" : "Aborting run...",
        itemCount: items,
        usageNano: this.charged(items),
        finishedMs: done ? this.abortedAtMs + TRANSITION_MS : null,
      };
    }
    if (t < endMs) {
      const items = this.itemsAt(t);
      const status = t < READY_MS ? "READY" : "RUNNING";
      return {
        status,
        statusMessage: status === "READY" ? null : `Scraped ${items} results`,
        itemCount: items,
        usageNano: this.charged(items),
        finishedMs: null,
      };
    }
    const items = this.itemsAt(endMs);
    const base = { itemCount: items, usageNano: this.charged(items) };
    if (timesOut) {
      const done = t >= endMs + TRANSITION_MS;
      return { ...base, status: done ? "TIMED-OUT" : "TIMING-OUT", statusMessage: "Run timed out", finishedMs: done ? endMs + TRANSITION_MS : null };
    }
    if (endMs === limitMs) {
      const statusMessage =
        this.capped === "charge"
          ? `Finished: the maximum total charge of $${this.settings.maxTotalChargeUsd} was reached after ${items} results`
          : `Finished: reached the maximum number of items (${items})`;
      return { ...base, status: "SUCCEEDED", statusMessage, finishedMs: endMs };
    }
    if (behaviour.outcome === "FAILED") return { ...base, status: "FAILED", statusMessage: "The actor process exited with code 1", finishedMs: endMs };
    return { ...base, status: "SUCCEEDED", statusMessage: `Finished! Scraped ${items} results`, finishedMs: endMs };
  }

  /** The Run object of the API (`{"data": Run}`), dates as ISO strings. */
  toJson(userId: string): Record<string, unknown> {
    const state = this.state();
    const end = state.finishedMs === null ? this.settings.now() : this.clock.wallAt(state.finishedMs);
    const durationMillis = end - this.startedAt.getTime();
    const computeUnits = (this.settings.memoryMbytes / 1024) * (durationMillis / 3_600_000);
    const finished = TERMINAL.has(state.status);
    return {
      id: this.id,
      actId: this.actId,
      userId,
      actorTaskId: null,
      startedAt: this.startedAt.toISOString(),
      finishedAt: state.finishedMs === null ? null : new Date(end).toISOString(),
      status: state.status,
      statusMessage: state.statusMessage,
      isStatusMessageTerminal: finished,
      meta: { origin: "API", userAgent: "ApifyClient" },
      stats: {
        inputBodyLen: this.settings.inputBodyLen,
        restartCount: 0,
        resurrectCount: 0,
        durationMillis,
        runTimeSecs: durationMillis / 1000,
        computeUnits,
      },
      options: {
        build: "latest",
        timeoutSecs: this.settings.timeoutSecs,
        memoryMbytes: this.settings.memoryMbytes,
        diskMbytes: this.settings.memoryMbytes * 2,
        ...this.options,
      },
      buildId: "simBuild00000001",
      buildNumber: "0.0.1",
      ...(finished ? { exitCode: state.status === "SUCCEEDED" ? 0 : 1 } : {}),
      defaultKeyValueStoreId: this.keyValueStoreId,
      defaultDatasetId: this.datasetId,
      defaultRequestQueueId: this.requestQueueId,
      containerUrl: `https://${this.id}.runs.apify.net`,
      usage: { ACTOR_COMPUTE_UNITS: computeUnits, DATASET_WRITES: state.itemCount },
      // Pay-per-event: platform usage is the developer's; the user pays the events.
      usageUsd: { ACTOR_COMPUTE_UNITS: 0, DATASET_WRITES: 0 },
      usageTotalUsd: "reportedUsageTotalUsd" in this.settings.behaviour ? this.settings.behaviour.reportedUsageTotalUsd : nanoToUsd(state.usageNano),
      pricingInfo: runPricingInfo(this.settings.behaviour.startCostUsd, this.settings.behaviour.costPerItemUsd),
      chargedEventCounts: { "actor-start": this.startNano > 0n ? 1 : 0, "result-page": Math.min(state.itemCount, this.limit) },
      storageIds: {
        datasets: { default: this.datasetId },
        keyValueStores: { default: this.keyValueStoreId },
        requestQueues: { default: this.requestQueueId },
      },
    };
  }

  /** The run's dataset items (results pages); `clean` drops the hidden field. */
  items(clean: boolean): Record<string, unknown>[] {
    return searchPages(this.input, this.itemCount, this.pages, clean ? null : this.id);
  }
}
