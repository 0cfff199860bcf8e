import { randomBytes } from "node:crypto";

/**
 * A new identifier such as `tc_m3x9k2a1b4c5d6e7f8a9`: a prefix naming the kind
 * of thing, then a base-36 millisecond time (so ids sort roughly by creation)
 * and 64 random bits (so ids made in several processes never collide).
 */
export function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${randomBytes(8).toString("hex")}`;
}
