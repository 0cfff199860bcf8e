/**
 * Failpoints: a test-only switch (ECN_FAILPOINT, read by config) that crashes
 * the process at a named step of a paid call, so crash-safety tests can kill
 * the real server exactly there. `kill` is a real SIGKILL (no cleanup, no
 * flush beyond what SQLite already committed); `throw` raises CrashSignal,
 * which the metering core lets escape untouched (the in-process simulation
 * uses it to abandon a call the way a dead process would).
 */
export const FAILPOINTS = ["after_hold", "after_dispatch", "after_provider_ref", "after_provider_response", "inside_settle"] as const;
export type Failpoint = (typeof FAILPOINTS)[number];
export type FailpointMode = "kill" | "throw";

export class CrashSignal extends Error {
  override readonly name = "CrashSignal";
  constructor(readonly failpoint: Failpoint) {
    super(`simulated crash at ${failpoint}`);
  }
}

let armed: { point: Failpoint; mode: FailpointMode } | null = null;

/** Arms one failpoint for this process (null disarms). */
export function armFailpoint(point: Failpoint | null, mode: FailpointMode = "kill"): void {
  armed = point ? { point, mode } : null;
}

/** Crashes here if this failpoint is armed; otherwise costs one comparison. */
export function failpoint(point: Failpoint): void {
  if (armed?.point !== point) return;
  if (armed.mode === "throw") throw new CrashSignal(point);
  process.kill(process.pid, "SIGKILL");
}
