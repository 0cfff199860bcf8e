/**
 * Every link between README.md and docs/*.md stays alive: a relative link's
 * file exists, and a `#anchor` names a heading of the page it points to, by
 * GitHub's rules for heading ids. Every docs page is reachable from the README.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const pages = [
  resolve(root, "README.md"),
  ...readdirSync(resolve(root, "docs"), { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".md"))
    .map((e) => resolve(root, "docs", e.name)),
];

/** The page without its fenced code blocks, where nothing is a link or a heading. */
function withoutFences(markdown: string): string {
  return markdown.replace(/^ {0,3}(```|~~~)[^\n]*\n[\s\S]*?^ {0,3}\1[ \t]*$/gm, "");
}

/** The page's prose: no code blocks, and each inline code span reduced to a word, so a `[x](y)` inside one is no link. */
function prose(markdown: string): string {
  return withoutFences(markdown).replace(/(`+)(?:(?!\n[ \t]*\n)[\s\S])+?\1/g, "code");
}

interface Link {
  page: string;
  target: string;
}

/** Inline links and images (`[text](target "title")`, `![alt](target)`) and reference definitions (`[ref]: target`). */
function linksOf(page: string): Link[] {
  const text = prose(readFileSync(page, "utf8"));
  const targets: string[] = [];
  for (const match of text.matchAll(/\]\(\s*<?([^()\s<>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(match[1]!);
  for (const match of text.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)) targets.push(match[1]!);
  return targets.map((target) => ({ page, target }));
}

/**
 * A heading's id as GitHub makes it: the heading's text (links and inline
 * code reduced to their text, HTML tags dropped), lower-cased, every character that is not a
 * letter, digit, mark, connector (`_`), space or hyphen dropped, each space a
 * hyphen; a repeated id gets `-1`, `-2`…
 */
function githubSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/`/g, "")
    .replace(/<[^>]+>/g, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** The ids of a page's headings (ATX `#` headings outside code blocks). */
function anchorsOf(page: string): Set<string> {
  const seen = new Map<string, number>();
  const ids = new Set<string>();
  for (const match of withoutFences(readFileSync(page, "utf8")).matchAll(/^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$/gm)) {
    const base = githubSlug(match[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    ids.add(count === 0 ? base : `${base}-${count}`);
  }
  return ids;
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//");
const name = (page: string) => relative(root, page);

describe("links between README.md and docs/", () => {
  const links = pages.flatMap(linksOf).filter((link) => !isExternal(link.target));

  it("finds the pages and their links", () => {
    expect(pages.length).toBeGreaterThan(1);
    expect(links.length).toBeGreaterThan(pages.length);
  });

  it("point to files that exist", () => {
    const broken = links
      .filter((link) => !link.target.startsWith("#"))
      .filter((link) => !existsSync(resolve(dirname(link.page), decodeURIComponent(link.target.split("#")[0]!))))
      .map((link) => `${name(link.page)}: ${link.target}`);
    expect(broken).toEqual([]);
  });

  it("point to headings that exist", () => {
    const broken: string[] = [];
    for (const link of links) {
      const [path, anchor] = link.target.split("#", 2) as [string, string | undefined];
      if (anchor === undefined) continue;
      const target = path === "" ? link.page : resolve(dirname(link.page), decodeURIComponent(path));
      if (!target.endsWith(".md") || !existsSync(target)) continue; // a missing file is reported above
      if (!anchorsOf(target).has(decodeURIComponent(anchor))) broken.push(`${name(link.page)}: ${link.target}`);
    }
    expect(broken).toEqual([]);
  });

  it("reach every docs page from the README", () => {
    const readme = resolve(root, "README.md");
    const linked = new Set(linksOf(readme).map((link) => resolve(root, decodeURIComponent(link.target.split("#")[0]!))));
    expect(pages.filter((page) => page !== readme && !linked.has(page)).map(name)).toEqual([]);
  });

  it("make heading ids by GitHub's rules", () => {
    expect(githubSlug("Scaling out: PostgreSQL and many instances")).toBe("scaling-out-postgresql-and-many-instances");
    expect(githubSlug("Hosting for many organisations (HTTP mode)")).toBe("hosting-for-many-organisations-http-mode");
    expect(githubSlug("Worst-case holds (LLM)")).toBe("worst-case-holds-llm");
    expect(githubSlug("Before going live: checking the real providers")).toBe("before-going-live-checking-the-real-providers");
    expect(githubSlug("The `ECN_DB_PATH` file")).toBe("the-ecn_db_path-file");
  });
});
