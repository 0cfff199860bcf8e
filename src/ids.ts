import { randomBytes } from "node:crypto";

/** 64 random bits per process: ids made in different processes never collide. */
const PROCESS_TAG = randomBytes(8).toString("hex");
let sequence = 0;

/**
 * A new identifier such as `tc_m3x9k2a1_5f1c9a3e7b2d4c60_1b`: a prefix naming
 * the kind of thing, a base-36 millisecond time (ids sort roughly by
 * creation), this process's random tag and a per-process counter. Unique
 * without a random draw per id, which sits on every paid call's path.
 */
export function newId(prefix: string): string {
  sequence = (sequence + 1) % 0x7fffffff;
  return `${prefix}_${Date.now().toString(36)}${PROCESS_TAG}${sequence.toString(36)}`;
}
