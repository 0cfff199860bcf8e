/**
 * `ecn-mcp audit-costs`: each provider asked for, audited in turn (see
 * cost-audit-report.ts for what the report says and how a gap is judged).
 */
import type { PaidProvider } from "../features.js";
import type { Decimal } from "../money.js";
import { auditApify } from "./cost-audit-apify.js";
import { auditOpenRouter } from "./cost-audit-openrouter.js";
import { blankAudit, iso, type AuditWindow, type CostAuditDeps, type CostAuditReport, type ProviderAudit } from "./cost-audit-report.js";

export type { AuditWindow, CostAuditDeps, CostAuditReport, ProviderAudit } from "./cost-audit-report.js";

const NOT_CONFIGURED: Record<PaidProvider, string> = {
  openrouter: "OPENROUTER_API_KEY is not set: this server sends nothing to OpenRouter, so there is nothing to audit",
  apify: "APIFY_API_TOKEN is not set: this server starts no Apify runs, so there is nothing to audit",
};

/** Audits each provider asked for; one that cannot be asked is reported as an error, the others still run. */
export async function auditCosts(deps: CostAuditDeps, window: AuditWindow, providers: PaidProvider[], tolerance: Decimal): Promise<CostAuditReport> {
  const results: ProviderAudit[] = [];
  for (const provider of providers) {
    try {
      if (provider === "openrouter")
        results.push(
          deps.openrouter ? await auditOpenRouter(deps, deps.openrouter, window, tolerance) : blankAudit(provider, "skipped", NOT_CONFIGURED[provider]),
        );
      else results.push(deps.apify ? await auditApify(deps, deps.apify, window, tolerance) : blankAudit(provider, "skipped", NOT_CONFIGURED[provider]));
    } catch (error) {
      results.push(blankAudit(provider, "error", error instanceof Error ? error.message : String(error)));
    }
  }
  return {
    since: iso(window.since),
    until: iso(window.until ?? deps.now()),
    tolerance_pct: Number(tolerance.units) / 10 ** tolerance.scale,
    providers: results,
    ok: results.every((r) => r.status !== "gap" && r.status !== "error"),
  };
}
