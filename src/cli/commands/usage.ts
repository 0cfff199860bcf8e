import { once } from "node:events";
import type { Command } from "commander";
import { usageEventView } from "../../accounts/accounts.js";
import { parseFeature, parseFormat, parseInstant, requireOrg } from "../parse.js";
import { withLedger } from "../runner.js";
import { VERBS } from "../verbs.js";

const COLUMNS = [
  "settled_at",
  "id",
  "tool_call_id",
  "org_id",
  "feature",
  "provider",
  "model",
  "provider_request_id",
  "outcome",
  "prompt_tokens",
  "completion_tokens",
  "cost_usd",
  "credits_charged",
  "over_hold",
  "estimated",
] as const;

type Line = Record<(typeof COLUMNS)[number], unknown>;

/** A cell of the table or the CSV: numbers and text as they are, anything else as JSON. */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  return typeof value === "bigint" ? value.toString() : JSON.stringify(value);
}

/** RFC 4180: quote fields holding a comma, quote or line break; double inner quotes. */
export function csvField(value: unknown): string {
  const text = cellText(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Writes with backpressure, so a million rows stream instead of piling up in memory. */
async function write(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, "drain");
}

export function register(program: Command): void {
  program
    .command("usage")
    .option("--org <org>", "one organisation only (id or name)")
    .option("--feature <feature>", "one feature only")
    .option("--since <when>", "events settled at or after (ISO date or date-time)")
    .option("--until <when>", "events settled before (ISO date or date-time)")
    .option("--format <format>", "table | csv | json", "table")
    .option("--json", "same as --format json")
    .description(VERBS.usage.summary)
    .action(
      withLedger(async (app, options: { org?: string; feature?: string; since?: string; until?: string; format?: string; json?: boolean }) => {
        const format = parseFormat(options.format, options.json, ["table", "csv", "json"]);
        const org = options.org ? await requireOrg(app.ledger, options.org) : undefined;
        const rows = app.ledger.iterateUsage({
          ...(org ? { orgId: org.id } : {}),
          ...(options.feature ? { feature: parseFeature(options.feature) } : {}),
          ...(options.since ? { since: parseInstant(options.since, "--since") } : {}),
          ...(options.until ? { until: parseInstant(options.until, "--until") } : {}),
        });
        const widths = [24, 30, 30, 30, 20, 10, 28, 30, 7, 8, 8, 14, 12, 5, 5];
        if (format === "csv") await write(COLUMNS.join(",") + "\n");
        if (format === "json") await write("[");
        if (format === "table")
          await write(
            COLUMNS.map((c, i) => c.padEnd(widths[i]!))
              .join(" ")
              .trimEnd() + "\n",
          );
        let count = 0;
        for await (const event of rows) {
          const view = usageEventView(event);
          const line: Line = { ...view, org_id: event.orgId };
          if (format === "json") await write(`${count ? "," : ""}\n${JSON.stringify(Object.fromEntries(COLUMNS.map((c) => [c, line[c]])))}`);
          else if (format === "csv") await write(COLUMNS.map((c) => csvField(line[c])).join(",") + "\n");
          else
            await write(
              COLUMNS.map((c, i) => cellText(line[c]).padEnd(widths[i]!))
                .join(" ")
                .trimEnd() + "\n",
            );
          count++;
        }
        if (format === "json") await write(count ? "\n]\n" : "]\n");
        if (format === "table") process.stderr.write(`${count} usage event(s)\n`);
      }),
    );
}
