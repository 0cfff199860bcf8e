/**
 * The configuration table in the docs and the configuration schema name the
 * same environment variables: a variable added to src/config.ts without a
 * line in the table, or a line left for a variable that is gone, fails here.
 * The table is read from docs/configuration.md where that page exists, else
 * from the README's "Configuration" section.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES } from "../../src/config.js";

const root = resolve(import.meta.dirname, "../..");
const VARIABLE = /^\|\s*`((?:ECN|OPENROUTER|APIFY|SOCRATA|OTEL)_[A-Z0-9_]+)`/;

/** Where the table is, and the text to read it from. */
function configurationText(): { file: string; text: string } {
  const page = resolve(root, "docs/configuration.md");
  if (existsSync(page)) return { file: "docs/configuration.md", text: readFileSync(page, "utf8") };
  const readme = readFileSync(resolve(root, "README.md"), "utf8");
  const start = readme.search(/^## Configuration\b/m);
  if (start < 0) throw new Error("README.md has no '## Configuration' section and there is no docs/configuration.md");
  const rest = readme.slice(start + 1);
  const end = rest.search(/^## /m);
  return { file: "README.md", text: end < 0 ? rest : rest.slice(0, end) };
}

describe("the configuration table", () => {
  it("lists every environment variable the configuration reads, and no other", () => {
    const { file, text } = configurationText();
    const documented = text.split("\n").flatMap((line) => VARIABLE.exec(line)?.[1] ?? []);
    expect(new Set(documented).size, `${file}: a variable listed twice`).toBe(documented.length);
    expect(
      CONFIG_VARIABLES.filter((name) => !documented.includes(name)),
      `variables of src/config.ts missing from ${file}`,
    ).toEqual([]);
    expect(
      documented.filter((name) => !CONFIG_VARIABLES.includes(name)),
      `variables in ${file} that src/config.ts does not read`,
    ).toEqual([]);
  });
});
