// npm run test:quick: the inner loop. Unit, ledger, metering and simulation tests on the SQLite
// project only (no browser, no npm pack, no bundle, no spawned servers), with the seeded fault
// simulation cut to ECN_SIM_STEPS=300 steps unless set. One ledger test runs worker processes on
// the built ledger (dist/): when src/ is newer than dist/ it is left out, and said so, rather than
// run against stale code or wait for a build (npm run build brings it back). Extra arguments go
// to vitest (a file filter, -t NAME, --reporter ...). Prints how long it took.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const QUICK = ["test/unit", "test/ledger", "test/metering", "test/sim"];
/** The one quick test that runs the built ledger in worker processes. */
const NEEDS_BUILD = "test/ledger/concurrency.test.ts";

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** The test files under a folder, as paths from the root with forward slashes (vitest's filters). */
function testFiles(dir) {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? testFiles(`${dir}/${entry.name}`) : entry.name.endsWith(".test.ts") ? [`${dir}/${entry.name}`] : [],
  );
}

function builtAt() {
  try {
    return statSync(join(root, "dist/ledger/index.js")).mtimeMs;
  } catch {
    return 0;
  }
}

const run = (args, env = process.env) => spawnSync(process.execPath, args, { cwd: root, stdio: "inherit", env });
const require = createRequire(import.meta.url);
const started = performance.now();
const stale = newest(join(root, "src")) > builtAt();
if (stale) console.log(`test:quick: ${NEEDS_BUILD} left out: dist/ is older than src/ (npm run build to include it)`);
const vitest = join(dirname(require.resolve("vitest/package.json")), "vitest.mjs");
// Vitest's --exclude does not reach a project's files: name the files instead.
const files = QUICK.flatMap((dir) => testFiles(dir)).filter((file) => !(stale && file === NEEDS_BUILD));
const tests = run([vitest, "run", "--project", "sqlite", ...files, ...process.argv.slice(2)], {
  ...process.env,
  ECN_SIM_STEPS: process.env.ECN_SIM_STEPS ?? "300",
});
console.log(`test:quick: ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.exit(tests.status ?? 1);
