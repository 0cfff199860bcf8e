/**
 * What OpenRouter itself says a key was billed, for `ecn-mcp audit-costs`,
 * through the `openai` package's plain `get` (same client settings as the
 * metered adapter, no retries of our own: an audit reads, it never bills).
 *
 * - `GET /key`: the key's spend in USD, all time and the current UTC day
 *   (`usage`, `usage_daily`), plus bring-your-own-key upstream spend
 *   (`byok_usage`, `byok_usage_daily`), which the ledger counts as cost too.
 * - `GET /activity?date=`: spend per completed UTC day and model, but only
 *   for a management key; an inference key is refused with 403.
 * - `GET /generation?id=`: one request's cost, asked once (no waiting out
 *   the endpoint's lag: the audit says "not found" and moves on).
 */
import OpenAI, { APIError } from "openai";
import { readProviderCost, readUsdTotal } from "./cost.js";

export interface KeyUsage {
  /** Everything the key was billed, OpenRouter credits and BYOK upstream spend together. */
  totalNanoUsd: bigint;
  /** The same for the current UTC day. */
  todayNanoUsd: bigint;
  /** The key's masked label, e.g. sk-or-v1-abc...xyz. */
  label: string | null;
}

export type ActivityAnswer =
  { kind: "rows"; rows: { date: string; model: string; usageNanoUsd: bigint; requests: number }[] } | { kind: "refused"; why: string };

export type GenerationAnswer = { kind: "known"; nanoUsd: bigint } | { kind: "not_found" } | { kind: "unknown"; why: string };

export interface OpenRouterAudit {
  /** Throws when OpenRouter cannot be asked (within `timeoutMs`, when given) or answers nonsense. */
  keyUsage(timeoutMs?: number): Promise<KeyUsage>;
  /** One completed UTC day (YYYY-MM-DD); `refused` when the key may not read activity. Throws on other failures. */
  activity(date: string): Promise<ActivityAnswer>;
  generation(id: string): Promise<GenerationAnswer>;
}

function why(error: unknown): string {
  if (error instanceof APIError) {
    const body = error.error as { message?: string } | undefined;
    return `${error.status ?? "no status"}: ${body?.message ?? error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}

export function createOpenRouterAudit(options: { apiKey: string; baseUrl: string; timeoutMs?: number }): OpenRouterAudit {
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseUrl,
    maxRetries: 1,
    timeout: options.timeoutMs ?? 30_000,
    defaultHeaders: { "HTTP-Referer": "https://github.com/ecn-mcp/ecn-mcp", "X-Title": "ecn-mcp" },
  });

  async function keyUsage(timeoutMs?: number): Promise<KeyUsage> {
    let body: { data?: Record<string, unknown> };
    try {
      body = await client.get("/key", timeoutMs === undefined ? {} : { timeout: timeoutMs, maxRetries: 0 });
    } catch (error) {
      throw new Error(`OpenRouter's key endpoint failed (${why(error)})`, { cause: error });
    }
    const data = body.data ?? {};
    const read = (field: string, optional = false): bigint => {
      const value = data[field];
      if (optional && (value === undefined || value === null)) return 0n;
      const nano = readUsdTotal(value);
      if (nano === null) throw new Error(`OpenRouter's key endpoint gave no usable ${field} (${JSON.stringify(value) ?? "nothing"})`);
      return nano;
    };
    return {
      totalNanoUsd: read("usage") + read("byok_usage", true),
      todayNanoUsd: read("usage_daily") + read("byok_usage_daily", true),
      label: typeof data.label === "string" ? data.label : null,
    };
  }

  async function activity(date: string): Promise<ActivityAnswer> {
    let body: { data?: Record<string, unknown>[] };
    try {
      body = await client.get("/activity", { query: { date } });
    } catch (error) {
      if (error instanceof APIError && (error.status === 401 || error.status === 403)) return { kind: "refused", why: why(error) };
      throw new Error(`OpenRouter's activity endpoint failed (${why(error)})`, { cause: error });
    }
    const rows = (body.data ?? []).map((row) => {
      const usage = readUsdTotal(row.usage);
      if (usage === null || typeof row.date !== "string") throw new Error(`OpenRouter's activity endpoint gave a row without a usable date or usage`);
      return {
        date: row.date.slice(0, 10),
        model: typeof row.model === "string" ? row.model : "unknown",
        usageNanoUsd: usage + (readUsdTotal(row.byok_usage_inference) ?? 0n),
        requests: typeof row.requests === "number" ? row.requests : 0,
      };
    });
    return { kind: "rows", rows };
  }

  async function generation(id: string): Promise<GenerationAnswer> {
    try {
      const body = (await client.get("/generation", { query: { id }, maxRetries: 0 })) as {
        data?: { total_cost?: unknown; is_byok?: boolean; upstream_inference_cost?: unknown };
      };
      const cost = readProviderCost(body.data?.total_cost);
      if (cost.kind !== "known") return { kind: "unknown", why: `OpenRouter reported no usable cost for ${id}` };
      const upstream = body.data?.is_byok ? readProviderCost(body.data.upstream_inference_cost ?? 0) : null;
      if (upstream && upstream.kind !== "known") return { kind: "unknown", why: `OpenRouter reported no usable upstream cost for ${id}` };
      return { kind: "known", nanoUsd: cost.nanoUsd + (upstream?.kind === "known" ? upstream.nanoUsd : 0n) };
    } catch (error) {
      if (error instanceof APIError && error.status === 404) return { kind: "not_found" };
      return { kind: "unknown", why: why(error) };
    }
  }

  return { keyUsage, activity, generation };
}
