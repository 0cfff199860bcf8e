/**
 * A server bounds how far V8's heap grows between full collections
 * (src/server/heap.ts), unless node was told otherwise: a growing percent on
 * its command line, or a heap limit small enough that V8 grows it by less.
 * What it saves is measured by `npm run bench` (server RSS after 10k paid calls).
 */
import { describe, expect, it } from "vitest";
import { boundHeapGrowth, HEAP_GROWING_PERCENT } from "../../src/server/heap.js";

const GIB = 1024 * 1024 * 1024;

function run(execArgv: string[], heapSizeLimit: number): string[] {
  const set: string[] = [];
  boundHeapGrowth({ execArgv, heapSizeLimit, setFlags: (flags) => void set.push(flags) });
  return set;
}

describe("the heap's growth between full collections", () => {
  it("is bounded at node's default heap limit", () => {
    expect(HEAP_GROWING_PERCENT).toBe(50);
    expect(run([], 4 * GIB)).toEqual(["--heap-growing-percent=50"]);
    expect(run(["--max-semi-space-size=8", "--enable-source-maps"], 2 * GIB)).toEqual(["--heap-growing-percent=50"]);
  });

  it("is left to node when its command line sets it, or its heap limit is under 1 GiB", () => {
    expect(run(["--heap-growing-percent=20"], 4 * GIB)).toEqual([]);
    expect(run(["--heap_growing_percent=80"], 4 * GIB)).toEqual([]);
    expect(run(["--max-old-space-size=128"], 176 * 1024 * 1024)).toEqual([]);
  });
});
