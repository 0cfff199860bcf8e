// @ts-check
/**
 * Issue 24's goals ("as fast as a stateless gateway"), each a ratio of two
 * figures measured in the same run, against its target: PASS or MISS. Read
 * from the results of this run; a section this run skipped (BENCH_ONLY)
 * counts with its last figures, marked with their date.
 */
import { table } from "./stats.mjs";

/**
 * @typedef {{ goal: string; measured: string; ratio: number | null; target: string; pass: boolean | null; section: string; measuredAt: string | null }} Goal
 */

/** @param {unknown} value @param {...string} path @returns {any} */
const dig = (value, ...path) => path.reduce((/** @type {any} */ at, key) => (at == null ? undefined : at[key]), value);

/**
 * @param {Record<string, any>} results this run's results merged over the last kept ones
 * @param {Record<string, string>} sectionDates when each section was last measured
 * @param {string} runDate
 * @returns {Goal[]}
 */
export function issueGoals(results, sectionDates, runDate) {
  /** @type {Goal[]} */
  const goals = [];
  /**
   * @param {string} goal
   * @param {string} section
   * @param {() => { ratio: number; measured: string } | null} read
   * @param {"<=" | ">="} sense
   * @param {number} limit
   */
  const add = (goal, section, read, sense, limit) => {
    /** @type {{ ratio: number; measured: string } | null} */
    let got;
    try {
      got = results[section] === undefined ? null : read();
    } catch {
      got = null; // figures from an older shape of the section
    }
    const ratio = got && Number.isFinite(got.ratio) ? got.ratio : null;
    const at = sectionDates[section] ?? null;
    goals.push({
      goal,
      measured: got ? got.measured : "not measured",
      ratio,
      target: `${sense} ${limit.toFixed(2)}`,
      pass: ratio === null ? (got ? false : null) : sense === "<=" ? ratio <= limit : ratio >= limit,
      section,
      measuredAt: at && at !== runDate ? at : null,
    });
  };
  const f = (/** @type {number} */ v, digits = 1) => v.toFixed(digits);
  for (const transport of ["stdio", "http"]) {
    for (const p of ["p50", "p99"]) {
      add(
        `added time ${p}, ecn-mcp ${transport === "stdio" ? "stdio" : "HTTP"} / ${results.gateway?.name ?? "Portkey"}`,
        "gateway",
        () => {
          const [ours, theirs] = [dig(results.gateway, transport, "addedMs", p), dig(results.gateway, "gateway", "addedMs", p)];
          return { ratio: ours / theirs, measured: `${f(ours, 2)} ms vs ${f(theirs, 2)} ms` };
        },
        "<=",
        1,
      );
    }
  }
  add(
    "paid calls/s at 64 in flight, HTTP / stdio",
    "scaleout",
    () => {
      const [http, stdio] = [dig(results.scaleout, "http_sqlite", "perSecond"), dig(results.scaleout, "stdio_sqlite", "perSecond")];
      return { ratio: http / stdio, measured: `${f(http, 0)} vs ${f(stdio, 0)}` };
    },
    ">=",
    0.9,
  );
  add(
    "paid calls/s, one HTTP instance, PostgreSQL / SQLite",
    "scaleout",
    () => {
      const [pg, sqlite] = [dig(results.scaleout, "http_postgres", "perSecond"), dig(results.scaleout, "http_sqlite", "perSecond")];
      return { ratio: pg / sqlite, measured: `${f(pg, 0)} vs ${f(sqlite, 0)}` };
    },
    ">=",
    0.8,
  );
  add(
    "server RSS after 10k paid calls (no heap cap) / 150 MiB",
    "throughput",
    () => {
      const rss = dig(results.throughput, "rssMiBAfter10k");
      return { ratio: rss / 150, measured: `${f(rss, 0)} MiB` };
    },
    "<=",
    1,
  );
  /** @type {[string, string, number][]} */
  const starts = [
    ["stdio initialize / bare node", "stdio server answers initialize", 3],
    ["--help / bare node", "ecn-mcp --help", 2],
    ["wallet / bare node", "ecn-mcp wallet --org bench", 2],
  ];
  for (const [goal, name, limit] of starts) {
    add(
      goal,
      "startup",
      () => {
        const [p50, bare] = [dig(results.startup, "results", name, "p50"), dig(results.startup, "results", "bare node (node -e 0)", "p50")];
        return { ratio: p50 / bare, measured: `${f(p50, 0)} ms vs ${f(bare, 0)} ms` };
      },
      "<=",
      limit,
    );
  }
  add(
    "cache propagation to the last of 3 instances, max / 1 s",
    "propagation",
    () => {
      const max = dig(results.propagation, "maxMs");
      return max === null
        ? { ratio: Infinity, measured: "a change was never seen" }
        : { ratio: max / 1000, measured: `${f(max, 0)} ms (p50 ${f(dig(results.propagation, "p50Ms"), 0)} ms)` };
    },
    "<=",
    1,
  );
  return goals;
}

/**
 * @param {Goal[]} goals
 * @param {boolean} quick
 */
export function printGoals(goals, quick) {
  table(
    `Issue 24 goals${quick ? " (quick run: a smoke test, not a measurement)" : ""}`,
    ["goal", "measured", "ratio", "target", "result", "measured on"],
    goals.map((g) => [
      g.goal,
      g.measured,
      g.ratio === null ? "" : `${g.ratio.toFixed(2)}x`,
      g.target,
      g.pass === null ? "not measured" : g.pass ? "PASS" : "MISS",
      g.measuredAt ? `${g.measuredAt.slice(0, 10)} (earlier run)` : g.pass === null ? "" : "this run",
    ]),
  );
}
