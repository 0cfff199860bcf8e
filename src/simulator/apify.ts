/**
 * A loopback fake of the Apify API, faithful to the real one: actor runs
 * started through `POST /v2/acts|actors/{user~name}/runs` (query options
 * timeout, memory, waitForFinish, maxItems, maxTotalChargeUsd; br/gzip
 * bodies), runs that progress in real time and never charge past their cap,
 * `waitForFinish` polls that hold the request, abort, dataset metadata and
 * items (a bare array with pagination headers), actor details, the run log,
 * an actor's runs list and the account's monthly usage (computed from the
 * runs it started), and Apify's error bodies. Every request is logged, and the runs it started
 * are kept, so tests can compare what Apify billed with what the ledger says.
 *
 * Behaviour is scripted per run: `behave()` queues behaviours for the next
 * start calls; `defaults` applies otherwise.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { listenLoopback, readBody, sendJson, waitUnlessClosed, type LoopbackServer } from "./http.js";
import { echoSentence } from "./echo.js";
import { actorJson, datasetJson, minimalCharge, type SimulatedActor } from "./apify-resources.js";
import { apifyId, SimulatedRun, type ApifyBehaviour, type ApifySimulatedRun } from "./apify-runs.js";
import { monthlyUsage, runList, type Answer } from "./apify-usage.js";

export type { ApifyBehaviour, ApifySimulatedRun } from "./apify-runs.js";

export interface ApifySimulatedRequest {
  seq: number;
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  authorization: string | undefined;
  body: unknown;
  contentEncoding: string | undefined;
}

export interface ApifySimulator {
  /** Origin only, e.g. http://127.0.0.1:PORT (the client appends /v2). */
  baseUrl: string;
  token: string;
  requests: ApifySimulatedRequest[];
  runs: Map<string, ApifySimulatedRun>;
  defaults: ApifyBehaviour;
  /** Queues behaviours for the next start calls. */
  behave(...next: ApifyBehaviour[]): void;
  /** Runs that were actually started: these are what Apify bills. */
  startedRuns(): ApifySimulatedRun[];
  /** Lets every run held by `holdAtItems` go on. */
  release(): void;
  close(): Promise<void>;
}

const BEHAVIOUR_DEFAULTS = { outcome: "SUCCEEDED", durationMs: 300, items: 10, startCostUsd: 0.005, costPerItemUsd: 0.002 } as const;
/** The platform caps `waitForFinish` at 60 seconds. */
const MAX_WAIT_SECS = 60;
const HOLD_TICK_MS = 20;
/** What the API reports as the limit when none was asked for. */
const NO_LIMIT = 999_999_999_999;

export interface ApifySimulatorOptions {
  token?: string;
  port?: number;
  /**
   * The runs' clock (epoch ms), default the wall clock. A test can pass its
   * own and move it on when it chooses: a "20-minute" run then takes as long
   * as the test wants, and ends when the test says so.
   */
  now?: () => number;
}

export async function startApifySimulator(options: ApifySimulatorOptions = {}): Promise<ApifySimulator> {
  const now = options.now ?? Date.now;
  const token = options.token ?? "apify_api_sim" + randomBytes(12).toString("hex");
  const userId = apifyId();
  const requests: ApifySimulatedRequest[] = [];
  const runs = new Map<string, SimulatedRun>();
  const datasets = new Map<string, SimulatedRun>();
  const actors = new Map<string, SimulatedActor>();
  const queue: ApifyBehaviour[] = [];
  const defaults: ApifyBehaviour = {};

  /** `user~name` always names an actor (made on first use); a bare id only once it exists. */
  const findActor = (ref: string): SimulatedActor | undefined => {
    const known = actors.get(ref);
    if (known || !ref.includes("~")) return known;
    const [username = "", name = ""] = ref.split("~");
    const actor: SimulatedActor = { id: apifyId(), name, username, createdAt: new Date(), runs: 0 };
    actors.set(ref, actor).set(actor.id, actor);
    return actor;
  };

  const server: LoopbackServer = await listenLoopback(async (req, res, url) => {
    const raw = req.method === "POST" || req.method === "PUT" ? await readBody(req) : Buffer.alloc(0);
    const { body, json } = parseBody(raw);
    const entry: ApifySimulatedRequest = {
      seq: requests.length + 1,
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 200,
      authorization: req.headers.authorization,
      body,
      contentEncoding: req.headers["content-encoding"],
    };
    requests.push(entry);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      sendJson(res, status, body, headers);
    };
    const fail = (status: number, type: string, message: string) => send(status, { error: { type, message } });
    const answer = (result: Answer, status = 200) =>
      "refusal" in result ? fail(result.refusal.status, result.refusal.type, result.refusal.message) : send(status, { data: result.body });

    if (req.headers.authorization !== `Bearer ${token}`) return fail(401, "invalid-token", "Authentication token is not valid.");
    const [version, kind, rawId, sub, ...rest] = url.pathname.split("/").filter(Boolean);
    const id = rawId === undefined ? undefined : decodeURIComponent(rawId);
    const query = url.searchParams;
    if (req.method === "GET" && url.pathname === "/v2/users/me/usage/monthly") return answer(monthlyUsage(runs.values(), query.get("date")));
    if (version !== "v2" || !kind || !id || rest.length > 0) return fail(404, "page-not-found", "We have bad news: there is no API endpoint at this URL.");

    if (kind === "acts" || kind === "actors") {
      const actor = findActor(id);
      if (!actor) return fail(404, "record-not-found", "Actor was not found");
      if (req.method === "POST" && sub === "runs") return startRun(req, res, actor, entry, json, send, fail);
      if (req.method === "GET" && sub === "runs") return answer(runList([...runs.values()], actor.id, userId, query));
      if (req.method === "GET" && sub === undefined) return send(200, { data: actorJson(actor, userId, minimalCharge(defaults)) });
    }
    if (kind === "actor-runs") {
      const run = runs.get(id);
      if (!run) return fail(404, "record-not-found", "Actor run was not found");
      if (req.method === "GET" && sub === undefined) {
        if (!(await holdUntilFinished(res, run, query.get("waitForFinish")))) return void (entry.status = 499);
        return send(200, { data: run.toJson(userId) });
      }
      if (req.method === "POST" && sub === "abort") {
        run.abort();
        return send(200, { data: run.toJson(userId) });
      }
      if (req.method === "GET" && sub === "log") return sendLog(res, run, isTrue(query.get("stream")), entry);
    }
    if (kind === "datasets") {
      const run = datasets.get(id);
      if (!run) return fail(404, "record-not-found", "Dataset was not found");
      if (req.method === "GET" && sub === undefined) return send(200, { data: datasetJson(run, userId) });
      if (req.method === "GET" && sub === "items") {
        const all = run.items(isTrue(query.get("clean")));
        if (isTrue(query.get("desc"))) all.reverse();
        const offset = Math.max(0, Number(query.get("offset") ?? 0) || 0);
        const limit = query.get("limit") ? Math.max(0, Number(query.get("limit")) || 0) : NO_LIMIT;
        const page = all.slice(offset, offset + limit);
        return send(200, page, {
          "x-apify-pagination-total": String(all.length),
          "x-apify-pagination-offset": String(offset),
          "x-apify-pagination-limit": String(limit),
          "x-apify-pagination-count": String(page.length),
          "x-apify-pagination-desc": String(isTrue(query.get("desc"))),
        });
      }
    }
    fail(404, "page-not-found", "We have bad news: there is no API endpoint at this URL.");
  }, options.port);

  async function startRun(
    req: IncomingMessage,
    res: ServerResponse,
    actor: SimulatedActor,
    entry: ApifySimulatedRequest,
    json: boolean,
    send: (status: number, body: unknown) => void,
    fail: (status: number, type: string, message: string) => void,
  ): Promise<void> {
    const query = new URL(req.url ?? "/", "http://127.0.0.1").searchParams;
    const number = (name: string): number | undefined | null => {
      const text = query.get(name);
      if (text === null || text === "") return undefined;
      const value = Number(text);
      return Number.isFinite(value) && value >= 0 ? value : null;
    };
    const [timeout, memory, maxItems, maxTotalChargeUsd] = ["timeout", "memory", "maxItems", "maxTotalChargeUsd"].map(number);
    for (const [name, value] of Object.entries({ timeout, memory, maxItems, maxTotalChargeUsd })) {
      if (value === null) return fail(400, "invalid-input", `Parameter "${name}" must be a non-negative number`);
    }
    if (memory && (memory < 128 || (memory & (memory - 1)) !== 0)) return fail(400, "invalid-input", "Memory must be a power of 2 of at least 128 megabytes");
    if (maxItems !== undefined && maxItems !== null && !Number.isInteger(maxItems))
      return fail(400, "invalid-input", 'Parameter "maxItems" must be an integer');
    if (!json) return fail(400, "invalid-input", "Input is not a valid JSON");

    const behaviour = { ...BEHAVIOUR_DEFAULTS, ...defaults, ...(queue.shift() ?? {}) };
    const minimum = minimalCharge(behaviour);
    if (minimum !== null && typeof maxTotalChargeUsd === "number" && maxTotalChargeUsd < minimum) {
      return fail(400, "invalid-input", `Maximum cost per run is less than the allowed minimum of $${minimum.toFixed(2)}`);
    }
    if (behaviour.failStart) {
      const echo = echoSentence("Authorization", req.headers.authorization, behaviour.echoCredentials);
      return fail(behaviour.failStart.status, behaviour.failStart.type, behaviour.failStart.message + echo);
    }
    const run = new SimulatedRun({
      actId: actor.id,
      input: entry.body,
      inputBodyLen: Number(req.headers["content-length"] ?? 0),
      behaviour,
      timeoutSecs: timeout || 3600,
      memoryMbytes: memory || 1024,
      now,
      ...(typeof maxItems === "number" ? { maxItems } : {}),
      ...(typeof maxTotalChargeUsd === "number" ? { maxTotalChargeUsd } : {}),
    });
    actor.runs++;
    runs.set(run.id, run);
    datasets.set(run.datasetId, run);
    // The run exists (and is billed) from here on, even if the client is gone.
    if (!(await holdUntilFinished(res, run, query.get("waitForFinish")))) return void (entry.status = 499);
    send(201, { data: run.toJson(userId) });
  }

  return {
    baseUrl: server.origin,
    token,
    requests,
    runs,
    defaults,
    behave: (...next) => void queue.push(...next),
    startedRuns: () => [...runs.values()],
    release: () => {
      for (const run of runs.values()) run.release();
    },
    close: () => server.close(),
  };
}

/** Holds a request until the run finishes or min(waitForFinish, 60) seconds pass; false if the client left. */
async function holdUntilFinished(res: ServerResponse, run: SimulatedRun, waitForFinish: string | null): Promise<boolean> {
  const seconds = Math.min(Math.max(Number(waitForFinish) || 0, 0), MAX_WAIT_SECS);
  const deadline = Date.now() + seconds * 1000;
  while (!run.finished && Date.now() < deadline) {
    if (!(await waitUnlessClosed(res, Math.min(HOLD_TICK_MS, deadline - Date.now())))) return false;
  }
  return !res.destroyed;
}

/** The run log as text; with `stream` the response stays open and grows until the run ends. */
async function sendLog(res: ServerResponse, run: SimulatedRun, stream: boolean, entry: ApifySimulatedRequest): Promise<void> {
  const lines = (): string[] => {
    const out = [
      `${run.startedAt.toISOString()} ACTOR: Pulling container image of build simBuild00000001 from registry.`,
      `${run.startedAt.toISOString()} Starting the simulated scraper`,
    ];
    for (let i = 1; i <= run.itemCount; i++) out.push(`${run.startedAt.toISOString()} Scraped result ${i}`);
    if (run.finished) out.push(`${(run.finishedAt ?? new Date()).toISOString()} Run finished with status ${run.status}`);
    return out.map((line) => line + "\n");
  };
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
  let written = 0;
  const flush = () => {
    const all = lines();
    res.write(all.slice(written).join(""));
    written = all.length;
  };
  flush();
  while (stream && !run.finished) {
    if (!(await waitUnlessClosed(res, HOLD_TICK_MS))) return void (entry.status = 499);
    flush();
  }
  if (stream) flush();
  res.end();
}

/** The body as JSON, or as text when it is not JSON (then `json` is false). */
function parseBody(raw: Buffer): { body: unknown; json: boolean } {
  if (raw.length === 0) return { body: undefined, json: true };
  const text = raw.toString("utf8");
  try {
    return { body: JSON.parse(text) as unknown, json: true };
  } catch {
    return { body: text, json: false };
  }
}

/** The client sends booleans as 1/0; people type true/false. */
const isTrue = (value: string | null): boolean => value === "1" || value === "true";
