/**
 * Debian's chromium for the browser tests (never a downloaded browser). Where
 * it is missing, the tests skip with one line saying how to get it, except
 * under CI (CI=true), where they must run: .ci/run installs it with apt-get.
 */
import { existsSync } from "node:fs";

const CANDIDATES = [process.env.ECN_TEST_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"];

export const CHROMIUM: string | undefined = CANDIDATES.find((path): path is string => !!path && existsSync(path));

if (!CHROMIUM) {
  if (process.env.CI === "true") throw new Error("CI=true but no chromium found: .ci/run installs it with `apt-get install -y chromium`");
  process.stderr.write("browser tests skipped: install Debian's chromium (apt-get install chromium) or set ECN_TEST_CHROMIUM to a Chromium binary\n");
}
