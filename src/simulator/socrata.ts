/**
 * A loopback fake of the Socrata SODA 2 API, faithful to the real one:
 * `GET /resource/{dataset}.json` over the permit datasets, with `$where`,
 * `$q`, `$order`, `$limit`, `$offset`, `$select` and simple `column=value`
 * filters really evaluated against the portals' own column types; SODA error
 * bodies (`{code, error, message, data}`) for malformed queries (400
 * `query.compiler.malformed`), unknown columns (400 `query.soql.no-such-column`),
 * operands of the wrong type (400 `query.soql.type-mismatch`, e.g. a number
 * compared with a text column), a cast that fails on a row's value (400
 * `query.execution.error`), unknown datasets (404), a wrong app token (403)
 * and throttling (429 with Retry-After). A date literal compared with a date
 * kept as text is a text comparison, answered 200, as the portal does.
 * Every request is logged.
 *
 * Behaviour is scripted per request: `behave()` queues outcomes for the next
 * requests (a forced failure, latency); otherwise the query is answered.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { listenLoopback, sendJson, waitUnlessClosed, type LoopbackServer } from "./http.js";
import { echoSentence, type EchoForm } from "./echo.js";
import { SIM_DATASETS, type SimDataset } from "./socrata-data.js";
import { compileWhere, parseOrder, parseSelect, sortRows } from "./soql-eval.js";
import { SoqlError } from "./soql-parse.js";

export interface SocrataBehaviour {
  /** Milliseconds before the response starts. */
  latencyMs?: number;
  /** Answer with this status and a SODA error body instead of rows. */
  fail?: { status: number; code?: string; message?: string; retryAfterSeconds?: number };
  /** A misbehaving portal (or proxy): echo the request's X-App-Token in the error message of `fail`. */
  echoCredentials?: boolean | EchoForm;
}

export interface SocrataRequest {
  seq: number;
  path: string;
  query: Record<string, string>;
  status: number;
  /** The X-App-Token header as received (tests check it is sent; never print it elsewhere). */
  appToken: string | undefined;
}

export interface SocrataSimulatorOptions {
  /** The one valid app token: any other token is refused with 403. Requests without a token are served from the shared pool. */
  appToken?: string;
  port?: number;
  /** Answer 429 to token-less requests after this many of them (default: never throttle). */
  throttleWithoutTokenAfter?: number;
  /** Retry-After seconds sent with a throttling 429. */
  throttleRetryAfterSeconds?: number;
}

export interface SocrataSimulator {
  /** Origin such as `http://127.0.0.1:PORT`, suitable for ECN_SOCRATA_BASE_URL. */
  baseUrl: string;
  requests: SocrataRequest[];
  /** The fixture datasets, keyed by id, for tests that compute expected answers. */
  datasets: Record<string, SimDataset>;
  behave(...next: SocrataBehaviour[]): void;
  close(): Promise<void>;
}

const DEFAULT_CODES: Record<number, string> = {
  400: "query.compiler.malformed",
  401: "authentication_required",
  403: "permission_denied",
  404: "not_found",
  429: "too_many_requests",
  500: "internal_error",
};

const SODA_TYPES: Record<string, string> = { text: "text", number: "number", floating_timestamp: "floating_timestamp" };
const RESOURCE = /^\/resource\/([a-z0-9]{4}-[a-z0-9]{4})\.json$/;

export async function startSocrataSimulator(options: SocrataSimulatorOptions = {}): Promise<SocrataSimulator> {
  const requests: SocrataRequest[] = [];
  const queue: SocrataBehaviour[] = [];
  let tokenlessRequests = 0;

  const sodaError = (
    res: ServerResponse,
    entry: SocrataRequest,
    status: number,
    code: string,
    message: string,
    data: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) => {
    entry.status = status;
    sendJson(res, status, { code, error: true, message, data }, headers);
  };

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL) {
    const header = req.headers["x-app-token"];
    const entry: SocrataRequest = {
      seq: requests.length + 1,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 200,
      appToken: Array.isArray(header) ? header[0] : header,
    };
    requests.push(entry);
    const behaviour = queue.shift() ?? {};
    if (!(await waitUnlessClosed(res, behaviour.latencyMs ?? 0))) return;
    if (behaviour.fail) {
      const { status, code, message, retryAfterSeconds } = behaviour.fail;
      const headers: Record<string, string> = retryAfterSeconds !== undefined ? { "retry-after": String(retryAfterSeconds) } : {};
      const echo = echoSentence("X-App-Token", entry.appToken, behaviour.echoCredentials);
      return sodaError(res, entry, status, code ?? DEFAULT_CODES[status] ?? "error", (message ?? "Simulated failure") + echo, {}, headers);
    }
    if (entry.appToken !== undefined && entry.appToken !== options.appToken) {
      return sodaError(res, entry, 403, "invalid_app_token", "Invalid app_token specified");
    }
    if (entry.appToken === undefined && options.throttleWithoutTokenAfter !== undefined && ++tokenlessRequests > options.throttleWithoutTokenAfter) {
      const retryAfter = String(options.throttleRetryAfterSeconds ?? 30);
      return sodaError(res, entry, 429, "too_many_requests", "Too many requests from the shared pool; use an app token", {}, { "retry-after": retryAfter });
    }
    if (req.method !== "GET" && req.method !== "HEAD") return sodaError(res, entry, 405, "method_not_allowed", "Only GET is supported");
    const match = RESOURCE.exec(url.pathname);
    const dataset = match ? SIM_DATASETS[match[1]!] : undefined;
    if (!dataset) return sodaError(res, entry, 404, "not_found", `Cannot find dataset ${match?.[1] ?? url.pathname}`);
    try {
      const rows = answerQuery(dataset, url.searchParams);
      entry.status = 200;
      const fields = rows.fields;
      sendJson(res, 200, rows.rows, {
        "content-type": "application/json;charset=utf-8",
        "x-soda2-fields": JSON.stringify(fields),
        "x-soda2-types": JSON.stringify(fields.map((f) => SODA_TYPES[dataset.columns[f]!] ?? "text")),
      });
    } catch (error) {
      if (!(error instanceof SoqlError)) throw error;
      sodaError(res, entry, 400, error.code, error.message, { dataset: dataset.id, ...error.data });
    }
  }

  const server: LoopbackServer = await listenLoopback(handle, options.port);
  return {
    baseUrl: server.origin,
    requests,
    datasets: SIM_DATASETS,
    behave: (...next) => void queue.push(...next),
    close: () => server.close(),
  };
}

function integerParam(params: URLSearchParams, name: string, fallback: number): number {
  const text = params.get(name);
  if (text === null) return fallback;
  if (!/^[0-9]+$/.test(text.trim())) {
    throw new SoqlError("query.compiler.malformed", `${name} must be a non-negative integer, got ${JSON.stringify(text)}`, { query: text });
  }
  return Number(text.trim());
}

/** Answers one SODA query over a fixture dataset. */
export function answerQuery(dataset: SimDataset, params: URLSearchParams): { rows: Record<string, string>[]; fields: string[] } {
  const { columns } = dataset;
  let rows = dataset.rows;
  for (const [name, value] of params) {
    if (name.startsWith("$")) {
      if (!["$where", "$q", "$order", "$limit", "$offset", "$select"].includes(name)) {
        throw new SoqlError("query.compiler.malformed", `Unrecognized query parameter ${name}`);
      }
    } else if (!columns[name]) {
      throw new SoqlError("query.soql.no-such-column", `No such column: ${name}`, { column: name });
    } else {
      rows = rows.filter((row) => row[name] === value);
    }
  }
  const where = params.get("$where");
  if (where !== null && where.trim() !== "") rows = rows.filter(compileWhere(where, columns));
  const q = params.get("$q")?.toLowerCase();
  if (q) rows = rows.filter((row) => Object.values(row).some((v) => v.toLowerCase().includes(q)));
  const order = params.get("$order");
  if (order !== null && order.trim() !== "") rows = sortRows(rows, parseOrder(order, columns), columns);
  const offset = integerParam(params, "$offset", 0);
  const limit = integerParam(params, "$limit", 1000);
  rows = rows.slice(offset, offset + limit);
  const select = params.get("$select");
  const chosen = select !== null ? parseSelect(select, columns) : null;
  if (chosen) rows = rows.map((row) => Object.fromEntries(chosen.filter((c) => c in row).map((c) => [c, row[c]!])));
  return { rows, fields: chosen ?? Object.keys(columns) };
}
