/**
 * How far a server lets V8's heap grow between full collections.
 *
 * V8 sizes the heap for a process with memory to spare: after each full
 * collection it lets the old generation grow to up to four times what
 * survived before collecting again. A server's live heap stays near 25 MiB
 * however many calls it serves (nothing accumulates per call), but under
 * load the garbage of thousands of calls is promoted between full
 * collections, so the old generation sat at ~115 MiB and RSS at ~240 MiB
 * after 10,000 paid calls. Letting it grow by half of what survived instead
 * keeps it near 37 MiB (RSS ~160 MiB) at a small cost: about 30 full
 * collections per 10,000 calls instead of 7, a few percent more CPU at 64
 * calls in flight (growing by 30% would save 6 MiB more for 20% more CPU).
 * The young generation (32 MiB) can only be sized when node starts:
 * `--max-semi-space-size=8` takes RSS to ~150 MiB (docs/performance.md).
 *
 * This is no cap: the heap may still grow to V8's limit when the live data
 * does. A flag given to node wins: `--heap-growing-percent` on its command
 * line, or a heap limit under 1 GiB (`--max-old-space-size`, or a small
 * machine), where V8 already grows the heap by less than this.
 */
import v8 from "node:v8";

/** The old generation may grow by this share of what survived the last full collection before the next one. */
export const HEAP_GROWING_PERCENT = 50;
/** Under this heap limit V8's own growing factor is about as low as this one already. */
const TUNED_FROM_LIMIT = 1024 * 1024 * 1024;

export interface HeapFacts {
  /** node's own flags (process.execArgv). */
  execArgv: readonly string[];
  /** The heap's limit in bytes (v8.getHeapStatistics().heap_size_limit). */
  heapSizeLimit: number;
  setFlags: (flags: string) => void;
}

/** Bounds the heap's growth between full collections (a server's long life), unless node was told otherwise; whether it did. */
export function boundHeapGrowth(
  facts: HeapFacts = { execArgv: process.execArgv, heapSizeLimit: v8.getHeapStatistics().heap_size_limit, setFlags: v8.setFlagsFromString },
): boolean {
  if (facts.execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg))) return false;
  if (facts.heapSizeLimit < TUNED_FROM_LIMIT) return false;
  facts.setFlags(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
