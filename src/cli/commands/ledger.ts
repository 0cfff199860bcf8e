import { existsSync } from "node:fs";
import type { Command } from "commander";
import { checkDatabaseUrl } from "../../config.js";
import { EcnError } from "../../errors.js";
import { copyLedger, type CopyProgress } from "../../ledger/copy.js";
import { displayUrl, openPostgresLedger, openSqliteLedger } from "../../ledger/index.js";
import { respond } from "../output.js";
import { reportFailure } from "../runner.js";

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

export function registerLedgerCommands(program: Command): void {
  const ledger = program.command("ledger").description("the ledger itself: move it between stores");
  ledger
    .command("copy")
    .requiredOption("--from <file>", "the SQLite ledger file to copy")
    .requiredOption("--to <url>", "an empty PostgreSQL database (postgres://...)")
    .option("--json", "machine-readable output")
    .description("copy a SQLite ledger into an empty PostgreSQL database (ids kept), then check both")
    .action(async (options: { from: string; to: string; json?: boolean }) => {
      try {
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
    });
}
