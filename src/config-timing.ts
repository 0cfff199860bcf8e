/**
 * The deadlines and periods of the configuration: how long a paid call may
 * take, how servers watch each other, and how long what they leave behind is
 * kept. config.ts reads the environment and merges these into its one schema.
 */
import { z } from "zod/v3";

const DAY_MS = 86_400_000;

export interface TimingConfig {
  /** Deadline for one LLM provider request, after which its outcome is unknown. */
  providerTimeoutMs: number;
  /** Deadline for one Apify actor run, after which the run is aborted. */
  actorTimeoutMs: number;
  /** How long the reconciler leaves a call alone beyond its owner's deadline. */
  reconcileGraceMs: number;
  /** Server instances: heartbeat period, how stale a heartbeat means dead, how often servers sweep for orphans. */
  instances: { heartbeatMs: number; ttlMs: number; sweepMs: number };
  /** How long a provider reference the provider does not know stays open before its hold is charged (estimated). */
  unknownMaxAgeMs: number;
  /** How long a finished MCP task and its result are kept (a client may ask for less). */
  taskTtlMs: number;
  /** How long a server's read cache (API keys, rate cards, model prices) may serve an entry without news of a change; 0 caches nothing. */
  cacheTtlMs: number;
}

const ms = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);

/** The environment variables, as fields of the configuration's schema. */
export const timingVars = {
  ECN_PROVIDER_TIMEOUT_MS: ms(100, 3_600_000, 120_000),
  ECN_ACTOR_TIMEOUT_MS: ms(1_000, DAY_MS, 900_000),
  ECN_RECONCILE_GRACE_MS: ms(0, DAY_MS, 60_000),
  ECN_HEARTBEAT_MS: ms(100, 600_000, 5_000),
  ECN_INSTANCE_TTL_MS: ms(300, 3_600_000, 30_000),
  ECN_SWEEP_MS: ms(100, 3_600_000, 30_000),
  ECN_UNKNOWN_MAX_AGE_MS: ms(0, 365 * DAY_MS, 7 * DAY_MS),
  ECN_TASK_TTL_MS: ms(1_000, 30 * DAY_MS, DAY_MS),
  ECN_CACHE_TTL_MS: ms(0, 60_000, 5_000),
};

type Vars = z.output<z.ZodObject<typeof timingVars>>;

/** A live instance must renew its heartbeat at least twice per TTL, or a hiccup would make it look dead. */
export function timingProblems(v: Vars): { path: string; message: string }[] {
  if (v.ECN_INSTANCE_TTL_MS >= 2 * v.ECN_HEARTBEAT_MS) return [];
  return [{ path: "ECN_INSTANCE_TTL_MS", message: "must be at least twice ECN_HEARTBEAT_MS, or a live server could be taken for dead" }];
}

/** The timing part of the configuration, from the parsed variables. */
export function timingConfig(v: Vars): TimingConfig {
  return {
    providerTimeoutMs: v.ECN_PROVIDER_TIMEOUT_MS,
    actorTimeoutMs: v.ECN_ACTOR_TIMEOUT_MS,
    reconcileGraceMs: v.ECN_RECONCILE_GRACE_MS,
    instances: { heartbeatMs: v.ECN_HEARTBEAT_MS, ttlMs: v.ECN_INSTANCE_TTL_MS, sweepMs: v.ECN_SWEEP_MS },
    unknownMaxAgeMs: v.ECN_UNKNOWN_MAX_AGE_MS,
    taskTtlMs: v.ECN_TASK_TTL_MS,
    cacheTtlMs: v.ECN_CACHE_TTL_MS,
  };
}
