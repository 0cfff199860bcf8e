/**
 * The README is the entry page: it stays short (the reference lives in docs/), and its Claude
 * Desktop block is the one in mcp.json, so the two never drift apart.
 */
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const readmePath = resolve(root, "README.md");

describe("README", () => {
  it("shows mcp.json's block under Claude Desktop", () => {
    const readme = readFileSync(readmePath, "utf8");
    const heading = /^#{2,3} Claude Desktop$/m.exec(readme);
    expect(heading, "a 'Claude Desktop' heading").not.toBeNull();
    const block = /```json\n([\s\S]*?)```/.exec(readme.slice(heading!.index))?.[1];
    expect(JSON.parse(block ?? "null")).toEqual(JSON.parse(readFileSync(resolve(root, "mcp.json"), "utf8")));
  });

  it("stays an entry page of at most 12 KB", () => {
    expect(statSync(readmePath).size).toBeLessThanOrEqual(12 * 1024);
  });
});
