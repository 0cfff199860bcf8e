/** The README's Claude Desktop block is the one in mcp.json, so the two never drift apart. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");

describe("README", () => {
  it("shows mcp.json's block under Claude Desktop", () => {
    const readme = readFileSync(resolve(root, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Claude Desktop"));
    const block = /```json\n([\s\S]*?)```/.exec(section)?.[1];
    expect(JSON.parse(block ?? "null")).toEqual(JSON.parse(readFileSync(resolve(root, "mcp.json"), "utf8")));
  });
});
