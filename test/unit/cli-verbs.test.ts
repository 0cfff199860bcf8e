/**
 * The verb table the CLI dispatches on (and lists in --help without loading
 * the verbs) against the verbs' own modules: every verb listed is defined by
 * the module it names, with the same summary, and no module defines a verb
 * the table leaves out.
 */
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { VERB_NAMES, VERBS } from "../../src/cli/verbs.js";

describe("the CLI's verb table", () => {
  it("matches the verbs its modules define", async () => {
    const defined = new Map<string, string>();
    for (const name of VERB_NAMES) {
      const program = new Command("ecn-mcp");
      (await VERBS[name].load()).register(program);
      for (const command of program.commands) defined.set(command.name(), command.description());
      expect(defined.get(name), name).toBe(VERBS[name].summary);
    }
    expect([...defined.keys()].sort()).toEqual([...VERB_NAMES].sort());
  });
});
