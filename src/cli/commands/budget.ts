import type { Command } from "commander";
import type { BudgetStanding } from "../../ledger/index.js";
import { microToCredits } from "../../money.js";
import { isoTime, respondList, wroteTo } from "../output.js";
import { parseCredits, parseFeature, parsePeriod, requireOrg } from "../parse.js";
import type { LedgerApp } from "../ledger-app.js";
import { withLedger } from "../runner.js";
import { VERBS } from "../verbs.js";

function budgetJson(standing: BudgetStanding, orgName: string) {
  const b = standing.budget;
  return {
    id: b.id,
    org_id: b.orgId,
    org_name: orgName,
    feature: b.feature,
    period: b.period,
    limit_credits: microToCredits(b.limitMicroCredits),
    hard: b.hard,
    used_credits: microToCredits(standing.usedMicroCredits),
    period_start: isoTime(standing.periodStart) || "all time",
  };
}

export function register(program: Command): void {
  const budget = program.command("budget").description(VERBS.budget.summary);

  budget
    .command("set")
    .requiredOption("--org <org>", "organisation id or name")
    .option("--feature <feature>", "limit one feature only (default: all features)")
    .requiredOption("--period <period>", "day | month (calendar, UTC) | total")
    .requiredOption("--credits <n>", "limit in credits")
    .option("--soft", "warn (log + MCP notification) instead of refusing")
    .option("--json", "machine-readable output")
    .description("create or replace a budget")
    .action(
      withLedger(async (app, options: { org: string; feature?: string; period: string; credits: string; soft?: boolean; json?: boolean }) => {
        const org = await requireOrg(app.ledger, options.org);
        const input = {
          orgId: org.id,
          feature: options.feature ? parseFeature(options.feature) : null,
          period: parsePeriod(options.period),
          limitMicroCredits: parseCredits(options.credits, "--credits"),
          hard: !options.soft,
        };
        await app.ledger.setBudget(input, Date.now());
        await listBudgets(app, { org: org.id, json: options.json });
        wroteTo(options, app.location);
      }),
    );

  const listBudgets = async (app: LedgerApp, options: { org?: string; json?: boolean }) => {
    const orgs = options.org ? [await requireOrg(app.ledger, options.org)] : await app.ledger.listOrgs();
    const now = Date.now();
    const rows = (await Promise.all(orgs.map(async (o) => (await app.ledger.budgetStandings(o.id, now)).map((s) => budgetJson(s, o.name))))).flat();
    const org = options.org ? orgs[0]!.name : "<org>";
    respondList(
      options,
      rows,
      ["id", "org", "feature", "period", "limit", "used", "kind"],
      rows.map((r) => [r.id, r.org_name, r.feature ?? "(all)", r.period, r.limit_credits, r.used_credits, r.hard ? "hard" : "soft"]),
      `No budgets${options.org ? ` for ${org}` : ""} in ${app.location} yet. Set one with: ecn-mcp budget set --org ${org} --period month --credits 100`,
    );
  };

  budget
    .command("list")
    .option("--org <org>", "one organisation only")
    .option("--json", "machine-readable output")
    .description("list budgets with what each has used this period")
    .action(withLedger(listBudgets));
}
