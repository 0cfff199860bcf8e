import { existsSync } from "node:fs";
import type { Command } from "commander";
import type { CopyProgress } from "../../ledger/copy.js";
import { EcnError } from "../../errors.js";
import { printJson, respond } from "../output.js";
import { EXIT, reportFailure, withLedger } from "../runner.js";
import { VERBS } from "../verbs.js";

/** A progress line on stderr: rewritten in place on a terminal, every tenth otherwise (logs stay short). */
function progressPrinter(): (progress: CopyProgress) => void {
  const tty = process.stderr.isTTY;
  let lastTenth = -1;
  let lastTable = "";
  return ({ table, copied, total }) => {
    const pct = total === 0 ? 100 : Math.floor((copied / total) * 100);
    if (table !== lastTable) {
      lastTable = table;
      lastTenth = -1;
    }
    const line = `copying ${table}: ${copied.toLocaleString("en")} / ${total.toLocaleString("en")} rows (${pct}%)`;
    if (tty) process.stderr.write(`\r${line}${copied === total ? "\n" : ""}`);
    else if (Math.floor(pct / 10) > lastTenth) {
      lastTenth = Math.floor(pct / 10);
      process.stderr.write(`${line}\n`);
    }
  };
}

/** One broken invariant: which (the invariant's own wording) and the offending row. */
interface Problem {
  invariant: string;
  detail: string;
}

/** The invariant check reports "<invariant>: <row>"; the invariant is the part before the row. */
function problemOf(text: string): Problem {
  const at = text.indexOf(": ");
  return at < 0 ? { invariant: text, detail: "" } : { invariant: text.slice(0, at), detail: text.slice(at + 2) };
}

async function copy(options: { from: string; to: string; json?: boolean }): Promise<void> {
  try {
    // The config's schema, both stores and drizzle load only for this verb.
    const [{ checkDatabaseUrl }, { copyLedger }, { openSqliteLedger }, { openPostgresLedger }, { displayUrl }] = await Promise.all([
      import("../../config.js"),
      import("../../ledger/copy.js"),
      import("../../ledger/sqlite/ledger.js"),
      import("../../ledger/postgres/ledger.js"),
      import("../../ledger/location.js"),
    ]);
    const url = checkDatabaseUrl(options.to, "--to");
    if (!existsSync(options.from)) throw new EcnError("invalid_input", `--from: no ledger file at ${options.from}`);
    const source = openSqliteLedger(options.from);
    try {
      const target = await openPostgresLedger(url);
      try {
        const report = await copyLedger(source, target, progressPrinter());
        const summary = { from: options.from, to: displayUrl(url), rows: report.rows, tables: report.tables, invariants: "hold on both sides" };
        respond(
          options,
          summary,
          ["table", "rows copied"],
          report.tables.map((t) => [t.table, t.rows]),
        );
        if (!options.json)
          console.log(`${report.rows} rows copied into ${displayUrl(url)}; balances, events and transactions agree; the invariants hold on both sides.`);
      } finally {
        await target.close();
      }
    } finally {
      await source.close();
    }
  } catch (error) {
    reportFailure(error);
  }
}

export function register(program: Command): void {
  const ledger = program.command("ledger").description(VERBS.ledger.summary);
  ledger
    .command("check")
    .option("--json", "machine-readable output")
    .description(`check every invariant of the configured ledger (it only reads); exits ${EXIT.ledger} naming each one that fails`)
    .action(
      withLedger(async (app, options: { json?: boolean }) => {
        const integrity = await app.ledger.checkIntegrity();
        // A store that cannot be read whole says so; its rows are not worth judging then.
        const problems = integrity === null ? (await app.ledger.checkInvariants()).map(problemOf) : [];
        const ok = integrity === null && problems.length === 0;
        if (!ok) process.exitCode = EXIT.ledger;
        if (options.json) {
          printJson({ ledger: app.location, ok, integrity, problems });
          return;
        }
        if (ok) {
          console.log(`The ledger ${app.location} is sound: its store reads back whole and every invariant holds.`);
          return;
        }
        if (integrity !== null) console.log(`FAILED store integrity: ${integrity}`);
        for (const p of problems) console.log(`FAILED ${p.invariant}: ${p.detail}`);
        const broken = new Set(problems.map((p) => p.invariant)).size;
        console.log(
          integrity !== null
            ? `The ledger ${app.location} cannot be read back whole: restore it from a backup (see above).`
            : `The ledger ${app.location} breaks ${broken} invariant(s) (${problems.length} offending row(s) shown, at most 5 per invariant).`,
        );
      }),
    );
  ledger
    .command("copy")
    .requiredOption("--from <file>", "the SQLite ledger file to copy")
    .requiredOption("--to <url>", "an empty PostgreSQL database (postgres://...)")
    .option("--json", "machine-readable output")
    .description("copy a SQLite ledger into an empty PostgreSQL database (ids kept), then check both")
    .action(copy);
}
