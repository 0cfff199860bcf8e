// Preloaded into a CLI process (node --expose-gc --import this-file) by a memory test: every
// SAMPLE_EVERY lines written to stdout, a full garbage collection, then the heap still in use is
// noted; at exit the largest is printed on stderr. What the process keeps, sampled by how much it
// has written, not by the clock.
const SAMPLE_EVERY = Number(process.env.ECN_TEST_SAMPLE_EVERY ?? 2000);
const gc = globalThis.gc;
if (typeof gc !== "function") throw new Error("run with --expose-gc");

let lines = 0;
let peak = 0;
const sample = () => {
  gc();
  peak = Math.max(peak, process.memoryUsage().heapUsed);
};
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => {
  const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) if (++lines % SAMPLE_EVERY === 0) sample();
  return write(chunk, ...rest);
};
process.on("exit", () => {
  sample();
  process.stderr.write(`\nretained-memory ${JSON.stringify({ lines, peakHeapBytes: peak })}\n`);
});
