/** `ecn-mcp webhook add|list|remove`: where an organisation's events are sent, signed as Standard Webhooks. */
import type { Command } from "commander";
import { EcnError } from "../../errors.js";
import { UnsafeWebhookUrl } from "../../billing/ssrf.js";
import { isoTime, printJson, respondList, wroteTo } from "../output.js";
import { requireOrg } from "../parse.js";
import { withApp, withLedger } from "../runner.js";
import { VERBS } from "../verbs.js";

export function register(program: Command): void {
  const webhook = program.command("webhook").description(VERBS.webhook.summary);
  webhook
    .command("add")
    .requiredOption("--org <org>", "organisation id or name")
    .requiredOption("--url <url>", "https URL that receives the events")
    .option("--json", "machine-readable output")
    .description("add an endpoint; prints its id and signing secret (whsec_…) once")
    .action(
      // The billing service checks where the URL points (never inside) and makes the signing secret.
      withApp(async (app, options: { org: string; url: string; json?: boolean }) => {
        const org = await requireOrg(app.ledger, options.org);
        let endpoint;
        try {
          endpoint = await app.billing.addWebhook(org.id, options.url);
        } catch (error) {
          if (error instanceof UnsafeWebhookUrl) throw new EcnError("invalid_input", `--url ${error.message}`);
          if ((error as { code?: string }).code === "ENOTFOUND")
            throw new EcnError("invalid_input", `--url: ${new URL(options.url).hostname} does not resolve`);
          throw error;
        }
        const view = { id: endpoint.id, org: org.name, url: endpoint.url, secret: endpoint.secret, ledger: app.location };
        if (options.json) printJson(view);
        else console.log(`webhook ${view.id} for ${view.org}: ${view.url}\nsigning secret (shown once, keep it): ${view.secret}`);
        wroteTo(options, app.location);
      }),
    );
  webhook
    .command("list")
    .option("--org <org>", "one organisation only")
    .option("--json", "machine-readable output")
    .description("list endpoints (never their secrets)")
    .action(
      withLedger(async (app, options: { org?: string; json?: boolean }) => {
        const org = options.org ? await requireOrg(app.ledger, options.org) : null;
        const rows = (await app.ledger.billing.listWebhooks(org?.id)).map((w) => ({ id: w.id, org_id: w.orgId, url: w.url, created_at: isoTime(w.createdAt) }));
        respondList(
          options,
          rows,
          ["id", "org", "url", "created"],
          rows.map((r) => [r.id, r.org_id, r.url, r.created_at]),
          `No webhook endpoints${org ? ` for ${org.name}` : ""} in ${app.location} yet. Add one with: ecn-mcp webhook add --org ${org?.name ?? "<org>"} --url https://...`,
        );
      }),
    );
  webhook
    .command("remove ID")
    .option("--json", "machine-readable output")
    .description("stop sending to an endpoint")
    .action(
      withLedger(async (app, id: string, options: { json?: boolean }) => {
        if (!(await app.ledger.billing.removeWebhook(id, Date.now())))
          throw new EcnError("invalid_input", `no webhook endpoint ${id} (see ecn-mcp webhook list)`);
        if (options.json) printJson({ id, removed: true, ledger: app.location });
        else console.log(`webhook ${id} removed`);
        wroteTo(options, app.location);
      }),
    );
}
