import type { Command } from "commander";
import { marginReport } from "../../reports/margin-report.js";
import { printMarginTable } from "../margin-table.js";
import { printJson } from "../output.js";
import { parseFormat, parseInstant, requireOrg } from "../parse.js";
import { EXIT, withLedger } from "../runner.js";
import { VERBS } from "../verbs.js";

interface MarginOptions {
  since?: string;
  until?: string;
  org?: string;
  format?: string;
  json?: boolean;
  wide?: boolean;
}

export function register(program: Command): void {
  program
    .command("check-margins")
    .option("--since <when>", "only events settled at or after (ISO date or date-time)")
    .option("--until <when>", "only events settled before (ISO date or date-time)")
    .option("--org <org>", "one organisation only (id or name)")
    .option("--format <format>", "table | json", "table")
    .option("--json", "same as --format json")
    .option("--wide", "the table with every column (credits, estimated, over-hold, below-markup and unsettled counts); wider than 100 columns")
    .description(VERBS["check-margins"].summary)
    .action(
      withLedger(async (app, options: MarginOptions) => {
        const format = parseFormat(options.format, options.json, ["table", "json"]);
        const org = options.org ? await requireOrg(app.ledger, options.org) : undefined;
        const query = {
          ...(options.since ? { since: parseInstant(options.since, "--since") } : {}),
          ...(options.until ? { until: parseInstant(options.until, "--until") } : {}),
          ...(org ? { orgId: org.id } : {}),
        };
        const report = marginReport(await app.ledger.featureMargins(query), app.config.markup, app.config.creditUsdValue);
        if (format === "json") printJson({ ...report, since: options.since ?? null, until: options.until ?? null, org: org?.name ?? null });
        else printMarginTable(report, { wide: options.wide ?? false });
        if (report.losing_features.length) process.exitCode = EXIT.loss;
      }),
    );
}
