#!/usr/bin/env node
/**
 * `ecn-mcp`: the stdio MCP server by default, plus the operator's verbs.
 * The only place that reads argv, prints for humans or decides the exit code.
 *
 * Start-up is kept short: only the verb that runs is defined, from its own
 * module, and what it needs (the configuration's schema, the ledger, the
 * metering core, the MCP SDK, express) loads when its action runs. The
 * program's own --help lists every verb from the table in ./verbs.ts.
 *
 * The stdio server reads stdin from here on, before anything else loads:
 * an MCP client waits on its answer to `initialize` at every launch, and
 * that answer needs none of the rest (see ../server/stdio-prelude.ts).
 */
import { SERVER_VERSION } from "../server/version.js";
import { EXIT } from "./exit-codes.js";
import { dispatch, servesStdio, unknownVerbMessage, VERB_NAMES, VERBS } from "./verbs.js";

const route = dispatch(process.argv);
if (route.kind === "unknown") {
  console.error(unknownVerbMessage(route.word));
  process.exitCode = EXIT.config;
} else {
  // Loaded for the stdio server only: the other verbs and --help do without it.
  const prelude = servesStdio(route) ? (await import("../server/stdio-prelude.js")).startStdioPrelude() : undefined;
  try {
    const { Command } = await import("commander");
    const program = new Command("ecn-mcp")
      .description(
        "A metered MCP server: paid tools charged at provider cost x markup, in credits.\nWith no command, it serves MCP over stdio (what an MCP client launches).",
      )
      .version(SERVER_VERSION)
      .showHelpAfterError();
    if (route.verb) (await VERBS[route.verb].load()).register(program);
    else for (const name of VERB_NAMES) program.command(name).description(VERBS[name].summary);
    await program.parseAsync(route.argv);
  } finally {
    // The server took stdin over, or never came up: either way nothing more is read here.
    prelude?.release();
  }
}
