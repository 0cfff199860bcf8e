/** `ecn-mcp audit-costs`: the ledger's provider costs checked against the providers' own bills; exits non-zero on a gap. */
import type { Command } from "commander";
import { EcnError } from "../../errors.js";
import { PAID_PROVIDERS, type PaidProvider } from "../../features.js";
import type { CostAuditReport, ProviderAudit } from "../../audit/cost-audit.js";
import { compareDecimal, parseDecimal, type Decimal } from "../../money.js";
import { printJson, printTable } from "../output.js";
import { parseFormat, parseInstant } from "../parse.js";
import { EXIT, withApp } from "../runner.js";
import { VERBS } from "../verbs.js";

interface AuditOptions {
  since: string;
  until?: string;
  provider?: string;
  tolerancePct: string;
  format?: string;
  json?: boolean;
}

const NAMES: Record<PaidProvider, string> = { openrouter: "OpenRouter", apify: "Apify" };

function parseTolerance(text: string): Decimal {
  try {
    const value = parseDecimal(text);
    if (compareDecimal(value, parseDecimal("100")) <= 0) return value;
  } catch {
    // reported below
  }
  throw new EcnError("invalid_input", `--tolerance-pct must be a plain decimal from 0 to 100, such as 1 or 0.5 (got "${text}")`);
}

function parseProviders(text: string | undefined): PaidProvider[] {
  if (text === undefined) return [...PAID_PROVIDERS];
  if (!(PAID_PROVIDERS as readonly string[]).includes(text))
    throw new EcnError("invalid_input", `--provider must be one of ${PAID_PROVIDERS.join(", ")} (got "${text}")`);
  return [text as PaidProvider];
}

const money = (usd: number | null) => (usd === null ? "" : usd);
const percent = (value: number | null) => (value === null ? "" : `${value}%`);
const judged = (within: boolean | null) => (within === null ? "info" : within ? "ok" : "GAP");

function printProvider(audit: ProviderAudit, tolerancePct: number): void {
  const verdict = {
    ok: "ok",
    gap: `GAP (beyond ${tolerancePct}%, or requests one side does not know)`,
    unverified: "not verified",
    skipped: "skipped",
    error: "ERROR",
  }[audit.status];
  console.log(`\n${NAMES[audit.provider]}: ${verdict}${audit.reason ? `: ${audit.reason}` : ""}`);
  if (audit.status === "skipped" || audit.status === "error") return;
  if (audit.compared) console.log(`  total from ${audit.compared.from} to ${audit.compared.to}: ${audit.compared.basis}`);
  // The account column only where the provider gives one (Apify's whole-account usage).
  const account = audit.days.some((d) => d.account_usd !== undefined);
  const row = (cells: (string | number)[], accountUsd: number | string) => (account ? [...cells.slice(0, 5), accountUsd, ...cells.slice(5)] : cells);
  const rows = audit.days.map((d) =>
    row([d.date, d.ledger_usd, d.provider_usd, d.gap_usd, percent(d.gap_pct), judged(d.within_tolerance), d.source], d.account_usd ?? ""),
  );
  if (audit.compared)
    rows.push(
      row(["TOTAL", money(audit.ledger_usd), money(audit.provider_usd), money(audit.gap_usd), percent(audit.gap_pct), judged(audit.within_tolerance), ""], ""),
    );
  if (rows.length)
    printTable(row(["day (UTC)", "ledger (USD)", "provider (USD)", "gap (USD)", "gap %", "judged", "provider's figure"], "account (USD)").map(String), rows);
  const requests = audit.unmetered.requests.map((r) => `\n    ${r.id} ${r.status ?? ""} started ${r.at}: $${r.usd ?? "unknown"}`).join("");
  console.log(`  unmetered spend (the provider knows it, the ledger does not; must be 0): $${audit.unmetered.usd}${requests}`);
  const unknown = audit.unknown_to_provider.map((r) => `\n    ${r.id} (call ${r.tool_call_id}) sent ${r.at}: $${r.usd}`).join("");
  console.log(`  recorded requests the provider does not know: ${audit.unknown_to_provider.length}${unknown}`);
  for (const m of audit.cost_mismatches) console.log(`  cost differs for ${m.id}: ledger $${m.ledger_usd}, provider $${m.provider_usd}`);
  if (audit.estimated.events > 0)
    console.log(`  estimated (charged the hold, the provider's figure never known): ${audit.estimated.events} event(s), $${audit.estimated.usd}`);
  for (const note of audit.notes) console.log(`  note: ${note}`);
}

function printReport(report: CostAuditReport): void {
  console.log(`Provider costs from ${report.since} to ${report.until}, tolerance ${report.tolerance_pct}% of the provider's figure.`);
  for (const audit of report.providers) printProvider(audit, report.tolerance_pct);
  console.log(report.ok ? "\nThe ledger agrees with the providers." : "\nThe ledger and the providers DISAGREE (or a provider could not be asked): see above.");
}

export function register(program: Command): void {
  program
    .command("audit-costs")
    .requiredOption("--since <when>", "start of the period (ISO date or date-time)")
    .option("--until <when>", "end of the period, exclusive (default: now)")
    .option("--provider <provider>", "openrouter | apify (default: both)")
    .option("--tolerance-pct <n>", "largest gap allowed, in % of the provider's figure", "1")
    .option("--format <format>", "table | json", "table")
    .option("--json", "same as --format json")
    .description(VERBS["audit-costs"].summary)
    .action(
      withApp(async (app, options: AuditOptions) => {
        const format = parseFormat(options.format, options.json, ["table", "json"]);
        const now = Date.now();
        const since = parseInstant(options.since, "--since");
        const until = options.until === undefined ? null : parseInstant(options.until, "--until");
        if (since >= (until ?? now)) throw new EcnError("invalid_input", "--since must be before --until (and before now)");
        const { auditCosts } = await import("../../audit/cost-audit.js");
        const report = await auditCosts(
          {
            ledger: app.ledger,
            openrouter: app.openrouterAudit,
            apify: await app.apifyAudit(),
            leadSignalActor: app.config.apify.leadSignalActor,
            now: Date.now,
          },
          { since, until: until !== null && until < now ? until : null },
          parseProviders(options.provider),
          parseTolerance(options.tolerancePct),
        );
        if (format === "json") printJson(report);
        else printReport(report);
        if (!report.ok) process.exitCode = EXIT.costGap;
      }),
    );
}
