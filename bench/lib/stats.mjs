// @ts-check
/** Percentiles and formatting for benchmark results. */
/**
 * The p-th percentile (0-100) of samples; NaN when there are none.
 * @param {number[]} samples
 * @param {number} p
 * @returns {number}
 */
export function percentile(samples, p) {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return /** @type {number} */ (sorted[index]);
}

/**
 * @typedef {{ n: number; p50: number; p99: number; mean: number }} Summary
 */

/**
 * Count, median, 99th percentile and mean of samples (milliseconds).
 * @param {number[]} samples
 * @returns {Summary}
 */
export function summary(samples) {
  return { n: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

/** @param {number} value */
export const ms = (value) => (Number.isFinite(value) ? `${value.toFixed(3)} ms` : "n/a");

/**
 * A plain aligned table on stdout.
 * @param {string} title
 * @param {string[]} head
 * @param {unknown[][]} rows
 */
export function table(title, head, rows) {
  const cells = [head, ...rows].map((row) => row.map((cell) => String(cell)));
  const widths = head.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  console.log(`\n${title}`);
  for (const [i, row] of cells.entries()) {
    console.log("  " + row.map((cell, j) => cell.padEnd(widths[j] ?? 0)).join("  "));
    if (i === 0) console.log("  " + widths.map((w) => "-".repeat(w)).join("  "));
  }
}

export const now = () => Number(process.hrtime.bigint()) / 1e6;
