/**
 * Money coming in, for the operator: credit packs, auto-recharge, alerts and
 * outgoing webhooks. `ecn-mcp packs set|list`, `recharge set|off`,
 * `alerts [--org]` (and `alerts set`), `webhook add|list|remove`.
 */
import type { Command } from "commander";
import { EcnError } from "../../errors.js";
import { ALERT_TYPES } from "../../ledger/index.js";
import { microToCredits } from "../../money.js";
import { UnsafeWebhookUrl } from "../../billing/ssrf.js";
import { isoTime, printJson, respond } from "../output.js";
import { parseCredits, requireOrg } from "../parse.js";
import type { AppRunner } from "../runner.js";

/** US dollars with at most cents ("9.99") as cents. */
export function parseCents(text: string, flag: string): number {
  if (!/^\d{1,7}(\.\d{1,2})?$/.test(text))
    throw new EcnError("invalid_input", `${flag} must be US dollars with at most two decimals, such as 9.99 (got "${text}")`);
  const [whole, fraction = ""] = text.split(".");
  return Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
}

export function registerBillingCommands(program: Command, withApp: AppRunner): void {
  const packs = program.command("packs").description("credit packs customers can buy through Stripe Checkout");
  packs
    .command("set NAME")
    .requiredOption("--credits <n>", "credits the pack adds")
    .requiredOption("--usd <x>", "its price in US dollars (at least 0.50, Stripe's minimum)")
    .option("--json", "machine-readable output")
    .description("create or change a pack")
    .action(
      withApp(async (app, name: string, options: { credits: string; usd: string; json?: boolean }) => {
        if (!/^[a-z0-9][a-z0-9_-]{0,39}$/i.test(name)) throw new EcnError("invalid_input", "a pack name is 1 to 40 letters, digits, _ or - (e.g. starter)");
        const micro = parseCredits(options.credits, "--credits");
        const cents = parseCents(options.usd, "--usd");
        if (micro <= 0n) throw new EcnError("invalid_input", "--credits must be more than 0");
        if (cents < 50) throw new EcnError("invalid_input", "--usd must be at least 0.50: Stripe charges no less");
        await app.ledger.billing.setPack(name, micro, cents, Date.now());
        await listPacks(app, options);
      }),
    );
  const listPacks = async (app: Parameters<Parameters<AppRunner>[0]>[0], options: { json?: boolean }) => {
    const rows = (await app.ledger.billing.listPacks()).map((p) => ({ name: p.name, credits: microToCredits(p.microCredits), usd: p.usdCents / 100 }));
    respond(
      options,
      rows,
      ["pack", "credits", "usd"],
      rows.map((r) => [r.name, r.credits, r.usd.toFixed(2)]),
    );
  };
  packs.command("list").option("--json", "machine-readable output").description("list the packs for sale").action(withApp(listPacks));

  const recharge = program.command("recharge").description("auto-recharge: charge the saved card when the balance runs low");
  recharge
    .command("set")
    .requiredOption("--org <org>", "organisation id or name")
    .requiredOption("--below <n>", "recharge when a paid call leaves fewer credits than this")
    .requiredOption("--to <n>", "buy enough credits to reach this balance")
    .requiredOption("--max-month-usd <x>", "never charge more than this in a calendar month (UTC)")
    .option("--json", "machine-readable output")
    .description("turn auto-recharge on (or change it); the card saved by the organisation's last Checkout is charged off-session")
    .action(
      withApp(async (app, options: { org: string; below: string; to: string; maxMonthUsd: string; json?: boolean }) => {
        const org = await requireOrg(app.ledger, options.org);
        const rule = await app.ledger.billing.setRecharge(
          {
            orgId: org.id,
            belowMicroCredits: parseCredits(options.below, "--below"),
            targetMicroCredits: parseCredits(options.to, "--to"),
            maxMonthUsdCents: parseCents(options.maxMonthUsd, "--max-month-usd"),
          },
          Date.now(),
        );
        await app.billing.runOnce(); // a balance already below the threshold recharges now
        const view = {
          org: org.name,
          below_credits: microToCredits(rule.belowMicroCredits),
          to_credits: microToCredits(rule.targetMicroCredits),
          max_month_usd: rule.maxMonthUsdCents / 100,
          enabled: rule.enabled,
        };
        respond(
          options,
          view,
          ["org", "below", "to", "max/month (USD)", "on"],
          [[view.org, view.below_credits, view.to_credits, view.max_month_usd.toFixed(2), "yes"]],
        );
      }),
    );
  recharge
    .command("off")
    .requiredOption("--org <org>", "organisation id or name")
    .option("--json", "machine-readable output")
    .description("turn auto-recharge off")
    .action(
      withApp(async (app, options: { org: string; json?: boolean }) => {
        const org = await requireOrg(app.ledger, options.org);
        const changed = await app.ledger.billing.rechargeOff(org.id, Date.now());
        if (options.json) printJson({ org: org.name, enabled: false, changed });
        else console.log(changed ? `auto-recharge of ${org.name} is off` : `auto-recharge of ${org.name} was already off`);
      }),
    );

  const alerts = program
    .command("alerts")
    .option("--org <org>", "one organisation only")
    .option("--limit <n>", "how many, newest first", "50")
    .option("--json", "machine-readable output")
    .description("alerts raised: low, depleted and recovered balances, budgets at 80% and 100%, spend anomalies, failed recharges")
    .action(
      withApp(async (app, options: { org?: string; limit: string; json?: boolean }) => {
        const org = options.org ? await requireOrg(app.ledger, options.org) : null;
        const limit = Math.min(500, Math.max(1, Number.parseInt(options.limit, 10) || 50));
        const rows = (await app.ledger.billing.billingEvents(org?.id ?? null, ALERT_TYPES, limit)).map((e) => {
          const body = JSON.parse(e.payload) as { data: Record<string, unknown> };
          return { id: e.id, org_id: e.orgId, type: e.type, at: isoTime(e.createdAt), data: body.data };
        });
        respond(
          options,
          rows,
          ["when", "org", "alert", "details"],
          rows.map((r) => [r.at, r.org_id, r.type, describe(r.data)]),
        );
      }),
    );
  alerts
    .command("set")
    .requiredOption("--org <org>", "organisation id or name")
    .requiredOption("--balance-pct <list>", "balance alert levels in percent of the last top-up, e.g. 20,5 (depleted is always on)")
    .description("choose an organisation's balance alert levels")
    .action(
      withApp(async (app, options: { org: string; balancePct: string }) => {
        const org = await requireOrg(app.ledger, options.org);
        const pcts = options.balancePct.split(",").map((p) => Number(p.trim()));
        if (pcts.some((p) => !Number.isInteger(p) || p < 1 || p > 100))
          throw new EcnError("invalid_input", "--balance-pct takes whole percents from 1 to 100, e.g. 20,5");
        await app.ledger.billing.setBalanceAlerts(org.id, pcts, Date.now());
        console.log(`balance alerts of ${org.name}: ${pcts.join("%, ")}% of the last top-up, and depleted`);
      }),
    );

  const webhook = program.command("webhook").description("where an organisation's events are sent (signed, Standard Webhooks)");
  webhook
    .command("add")
    .requiredOption("--org <org>", "organisation id or name")
    .requiredOption("--url <url>", "https URL that receives the events")
    .option("--json", "machine-readable output")
    .description("add an endpoint; prints its id and signing secret (whsec_…) once")
    .action(
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
        const view = { id: endpoint.id, org: org.name, url: endpoint.url, secret: endpoint.secret };
        if (options.json) printJson(view);
        else console.log(`webhook ${view.id} for ${view.org}: ${view.url}\nsigning secret (shown once, keep it): ${view.secret}`);
      }),
    );
  webhook
    .command("list")
    .option("--org <org>", "one organisation only")
    .option("--json", "machine-readable output")
    .description("list endpoints (never their secrets)")
    .action(
      withApp(async (app, options: { org?: string; json?: boolean }) => {
        const org = options.org ? await requireOrg(app.ledger, options.org) : null;
        const rows = (await app.ledger.billing.listWebhooks(org?.id)).map((w) => ({ id: w.id, org_id: w.orgId, url: w.url, created_at: isoTime(w.createdAt) }));
        respond(
          options,
          rows,
          ["id", "org", "url", "created"],
          rows.map((r) => [r.id, r.org_id, r.url, r.created_at]),
        );
      }),
    );
  webhook
    .command("remove ID")
    .description("stop sending to an endpoint")
    .action(
      withApp(async (app, id: string) => {
        if (!(await app.ledger.billing.removeWebhook(id, Date.now()))) throw new EcnError("invalid_input", `no webhook endpoint ${id}`);
        console.log(`webhook ${id} removed`);
      }),
    );
}

function describe(data: Record<string, unknown>): string {
  return Object.entries(data)
    .filter(([k]) => k !== "org_id")
    .map(([k, v]) => `${k}=${typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : JSON.stringify(v)}`)
    .join(" ");
}
