/** Percentiles and formatting for benchmark results. */
export function percentile(samples, p) {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export function summary(samples) {
  return { n: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

export const ms = (value) => (Number.isFinite(value) ? `${value.toFixed(3)} ms` : "n/a");

/** A plain aligned table on stdout. */
export function table(title, head, rows) {
  const cells = [head, ...rows].map((row) => row.map((cell) => String(cell)));
  const widths = head.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  console.log(`\n${title}`);
  for (const [i, row] of cells.entries()) {
    console.log("  " + row.map((cell, j) => cell.padEnd(widths[j])).join("  "));
    if (i === 0) console.log("  " + widths.map((w) => "-".repeat(w)).join("  "));
  }
}

export const now = () => Number(process.hrtime.bigint()) / 1e6;
