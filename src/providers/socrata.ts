/**
 * Socrata SODA 2 over plain `fetch`: building-permit searches
 * on the four cities' open-data portals. Free, so nothing is metered here;
 * failures become `provider_error` with a message that says what to do. The
 * app token travels only in the `X-App-Token` header and is never logged or
 * put into an error.
 */
import { EcnError, errorKind, providerFault } from "../errors.js";
import { normalisePermit, PERMIT_DATASETS, type PermitCity, type PermitDataset, type PermitFilters, type PermitRow } from "./permits.js";
import { buildPermitQuery } from "./soql.js";
import { causeCode } from "./failure.js";

export interface SocrataOptions {
  /** SOCRATA_APP_TOKEN: a dedicated request quota instead of the shared, throttled pool. */
  appToken?: string;
  /** ECN_SOCRATA_BASE_URL: replaces scheme and host (and prefixes any path) of every dataset URL. */
  baseUrl?: string;
  /** Give up on a request after this long (default 20 s). */
  timeoutMs?: number;
}

export interface PermitSearchResult {
  rows: PermitRow[];
  /** Which dataset answered, e.g. `Chicago Building Permits (ydr8-5enu)`. */
  dataset: string;
  /** The exact URL requested. */
  sourceUrl: string;
  /** The SODA parameters sent, decoded, for display. */
  query: string;
}

export interface SocrataProvider {
  searchPermits(city: PermitCity, filters: PermitFilters, signal?: AbortSignal): Promise<PermitSearchResult>;
}

const DEFAULT_TIMEOUT_MS = 20_000;
const MAX_ERROR_TEXT = 300;

/** The request URL for a dataset: its portal's host, or the override's scheme, host and path prefix. */
export function permitRequestUrl(dataset: PermitDataset, params: URLSearchParams, baseUrl?: string): URL {
  const base = baseUrl ? baseUrl.replace(/\/+$/, "") : `https://${dataset.domain}`;
  const url = new URL(`${base}/resource/${dataset.datasetId}.json`);
  url.search = params.toString();
  return url;
}

interface SodaErrorBody {
  code?: string;
  message?: string;
}

function parseErrorBody(text: string): SodaErrorBody {
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === "object") {
      const { code, message, errorCode } = body as Record<string, unknown>;
      return {
        ...(typeof code === "string" ? { code } : typeof errorCode === "string" ? { code: errorCode } : {}),
        ...(typeof message === "string" ? { message } : {}),
      };
    }
  } catch {
    // Not JSON (a proxy's HTML page): fall through to the raw text.
  }
  const plain = text
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return plain ? { message: plain } : {};
}

const duration = (ms: number) => (ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`);
const clip = (text: string) => (text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}...` : text);

function retryAfterSeconds(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/**
 * Turns a non-200 answer into a provider_error that says what happened and
 * what to do. Socrata's message is provider text: it is filed under the
 * error's reference for the operator's log; the tenant sees its code only.
 */
async function responseError(response: Response, dataset: PermitDataset, host: string, hasToken: boolean): Promise<EcnError> {
  const status = response.status;
  const body = parseErrorBody(await response.text().catch(() => ""));
  const code = errorKind(body.code);
  const where = `${dataset.label} (${dataset.datasetId} on ${host})`;
  const details: Record<string, unknown> = { provider: "socrata", status, dataset: dataset.datasetId, ...(code ? { sodaCode: code } : {}) };
  const fault = (what: string) => providerFault("socrata", what, { status, kind: code }, body.message ? clip(body.message) : undefined);
  const error = (what: string, advice: string) => {
    const { message, report } = fault(what);
    return new EcnError("provider_error", `${message}${advice}`, details, report);
  };
  if (status === 400) return error(`Socrata rejected the query for ${where}`, "; the dataset's columns may have changed");
  if (status === 401 || status === 403) {
    const advice = hasToken ? "check that SOCRATA_APP_TOKEN is a valid Socrata app token, or unset it" : "the dataset may not be public";
    return error(`Socrata refused access to ${where}`, `: ${advice}`);
  }
  if (status === 404) return error(`Socrata dataset not found: ${where} answered 404`, "; the dataset may have moved or been retired");
  if (status === 429) {
    const retry = retryAfterSeconds(response.headers.get("retry-after"));
    if (retry !== undefined) details.retryAfterSeconds = retry;
    const advice = hasToken ? "the app token's quota is used up" : "set SOCRATA_APP_TOKEN to get a dedicated quota instead of the shared pool";
    return error(`Socrata is throttling requests to ${host}`, `; ${advice}; ${retry !== undefined ? `retry after ${retry} s` : "retry later"}`);
  }
  if (status >= 500) return error(`Socrata is unavailable: ${host} answered an error`, "; try again later");
  return error(`Socrata answered an error for ${where}`, "");
}

/** Socrata serves strings, but geo columns arrive as objects: keep every value as text. */
function stringRow(item: unknown): Record<string, string> | null {
  if (!item || typeof item !== "object" || Array.isArray(item)) return null;
  const row: Record<string, string> = {};
  for (const [key, value] of Object.entries(item)) {
    if (value === null || value === undefined) continue;
    row[key] = typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  }
  return row;
}

/** One AbortSignal for the caller's cancellation and our own timeout. */
function linkedSignal(timeoutMs: number, caller?: AbortSignal): { signal: AbortSignal; timedOut: () => boolean; done: () => void } {
  const controller = new AbortController();
  let expired = false;
  const timer = setTimeout(() => ((expired = true), controller.abort(new Error("timeout"))), timeoutMs);
  const onAbort = () => controller.abort(caller?.reason);
  if (caller?.aborted) onAbort();
  else caller?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => expired,
    done: () => (clearTimeout(timer), caller?.removeEventListener("abort", onAbort)),
  };
}

export function createSocrata(options: SocrataOptions = {}): SocrataProvider {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const appToken = options.appToken || undefined;
  if (options.baseUrl !== undefined && !URL.canParse(options.baseUrl)) {
    throw new Error(`ECN_SOCRATA_BASE_URL is not a valid URL: ${options.baseUrl}`);
  }

  async function searchPermits(city: PermitCity, filters: PermitFilters, signal?: AbortSignal): Promise<PermitSearchResult> {
    const dataset = PERMIT_DATASETS[city];
    if (!dataset) throw new EcnError("invalid_input", `city must be one of chicago, new_york, san_francisco, austin`);
    const params = buildPermitQuery(dataset, filters);
    const url = permitRequestUrl(dataset, params, options.baseUrl);
    const headers: Record<string, string> = { Accept: "application/json" };
    if (appToken) headers["X-App-Token"] = appToken;
    const link = linkedSignal(timeoutMs, signal);
    try {
      let response: Response;
      try {
        response = await fetch(url, { headers, signal: link.signal });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (link.timedOut()) {
          throw new EcnError("provider_error", `Socrata is unavailable: ${url.host} did not answer within ${duration(timeoutMs)}; try again later`, {
            provider: "socrata",
            dataset: dataset.datasetId,
          });
        }
        const code = causeCode(error);
        throw new EcnError("provider_error", `Socrata is unavailable: cannot reach ${url.host}${code ? ` (${code})` : ""}; try again later`, {
          provider: "socrata",
          dataset: dataset.datasetId,
        });
      }
      if (!response.ok) throw await responseError(response, dataset, url.host, appToken !== undefined);
      let body: unknown;
      try {
        body = JSON.parse(await response.text());
      } catch {
        if (signal?.aborted) throw signal.reason;
        if (link.timedOut())
          throw new EcnError("provider_error", `Socrata is unavailable: ${url.host} stopped answering mid-response; try again later`, { provider: "socrata" });
        throw new EcnError("provider_error", `Socrata sent a response that is not JSON for ${dataset.label}`, {
          provider: "socrata",
          dataset: dataset.datasetId,
        });
      }
      if (!Array.isArray(body)) {
        throw new EcnError("provider_error", `Socrata sent an unexpected response for ${dataset.label} (expected a JSON array of rows)`, {
          provider: "socrata",
          dataset: dataset.datasetId,
        });
      }
      const rows = body
        .map(stringRow)
        .filter((row): row is Record<string, string> => row !== null)
        .map((row) => normalisePermit(city, row));
      return {
        rows,
        dataset: `${dataset.label} (${dataset.datasetId})`,
        sourceUrl: url.toString(),
        query: [...params].map(([key, value]) => `${key}=${value}`).join("&"),
      };
    } finally {
      link.done();
    }
  }

  return { searchPermits };
}
