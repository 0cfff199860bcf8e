/**
 * Is a call's owner alive? An owner is a server instance with a heartbeat in
 * the ledger. It is dead when its row is gone (a clean shutdown), when its
 * heartbeat is older than the TTL, or, for a process on this very machine,
 * when its pid no longer names it: the pid is checked in /proc, and the
 * process's start time guards against the pid having been reused. Pids are
 * only compared within one kernel boot and pid namespace (`pidScope`), so two
 * containers sharing a host name never judge each other's pids.
 */
import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";
import type { InstanceRecord, Ledger } from "../ledger/index.js";

export interface ProcessIdentity {
  host: string;
  pid: number;
  /** Where this pid means this process: kernel boot id and pid namespace (Linux); null elsewhere. */
  pidScope: string | null;
  /** This process's start in clock ticks since boot (Linux); null elsewhere. */
  pidStart: string | null;
}

/** `staleHeartbeat`: dead for its heartbeat's age alone (what a judge that may have missed heartbeats must not trust yet). */
export type OwnerVerdict = { alive: boolean; why: string; staleHeartbeat?: true };

type ProcState = { kind: "running"; start: string } | { kind: "gone" } | { kind: "unreadable" };

/** A process as /proc tells it: running (with its start time), gone (or a zombie), or unreadable (no /proc). */
function procState(pid: number | "self"): ProcState {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? { kind: "gone" } : { kind: "unreadable" };
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (fields[0] === "Z" || fields[0] === "X") return { kind: "gone" }; // killed, not yet reaped by its parent
  const start = fields[19]; // field 22, starttime
  return start ? { kind: "running", start } : { kind: "unreadable" };
}

function readPidScope(): string | null {
  try {
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    return `${boot}/${readlinkSync("/proc/self/ns/pid")}`;
  } catch {
    return null;
  }
}

/** Who this process is, for the instances table. */
export function thisProcess(): ProcessIdentity {
  const self = procState("self");
  return { host: hostname(), pid: process.pid, pidScope: readPidScope(), pidStart: self.kind === "running" ? self.start : null };
}

const seconds = (ms: number) => `${Math.max(0, Math.round(ms / 1000))} s`;

/**
 * What this machine can tell of a process recorded elsewhere (an instance
 * row, a spool journal's header): gone, its pid reused by another process,
 * running, or unknown (another machine, boot or pid namespace, or no /proc).
 */
export function processState(proc: Pick<ProcessIdentity, "pid" | "pidScope" | "pidStart">, here: ProcessIdentity): "gone" | "reused" | "running" | "unknown" {
  if (proc.pidScope === null || proc.pidScope !== here.pidScope) return "unknown";
  const state = procState(proc.pid);
  if (state.kind === "gone") return "gone";
  if (state.kind === "running" && proc.pidStart !== null && state.start !== proc.pidStart) return "reused";
  return state.kind === "running" ? "running" : "unknown";
}

/** The verdict on a call's owner, with the reason the reconcile report gives. */
export function judgeOwner(ownerId: string, owner: InstanceRecord | undefined, here: ProcessIdentity, now: number, ttlMs: number): OwnerVerdict {
  if (!owner) return { alive: false, why: `its server ${ownerId} has shut down (deregistered)` };
  const where = `pid ${owner.pid} on ${owner.host}`;
  const state = processState(owner, here);
  if (state === "gone") return { alive: false, why: `its server ${owner.id} (${where}) has exited` };
  if (state === "reused") return { alive: false, why: `its server ${owner.id} has exited: pid ${owner.pid} now belongs to another process` };
  const age = now - owner.heartbeatAt;
  if (age > ttlMs) {
    return {
      alive: false,
      staleHeartbeat: true,
      why: `its server ${owner.id} (${where}) last sent a heartbeat ${seconds(age)} ago (the limit is ${seconds(ttlMs)})`,
    };
  }
  return { alive: true, why: `its server ${owner.id} (${where}) is alive (heartbeat ${seconds(age)} ago)` };
}

export interface InstanceStanding {
  id: string;
  kind: string | null;
  host: string | null;
  pid: number | null;
  startedAt: number | null;
  heartbeatAt: number | null;
  openCalls: number;
  alive: boolean;
  why: string;
}

/**
 * Every instance in the ledger and every owner that still has open calls
 * (one that deregistered with calls open has no row any more), each with the
 * verdict the reconciler would reach.
 */
export async function instanceStandings(ledger: Ledger, here: ProcessIdentity, now: number, ttlMs: number): Promise<InstanceStanding[]> {
  const [rows, owners] = await Promise.all([ledger.listInstances(), ledger.openCallsByOwner()]);
  const openOf = new Map(owners.map((o) => [o.ownerInstanceId, o.calls]));
  const out: InstanceStanding[] = rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    host: row.host,
    pid: row.pid,
    startedAt: row.startedAt,
    heartbeatAt: row.heartbeatAt,
    openCalls: openOf.get(row.id) ?? 0,
    ...judgeOwner(row.id, row, here, now, ttlMs),
  }));
  const known = new Set(rows.map((r) => r.id));
  for (const { ownerInstanceId: id, calls } of owners) {
    if (id === null || known.has(id)) continue;
    out.push({ id, kind: null, host: null, pid: null, startedAt: null, heartbeatAt: null, openCalls: calls, ...judgeOwner(id, undefined, here, now, ttlMs) });
  }
  return out;
}
