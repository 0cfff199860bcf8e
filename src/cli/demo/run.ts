/**
 * `ecn-mcp demo`: the whole loop on a machine with no keys and no network.
 * Simulated providers on loopback (the same fakes the tests use), a
 * throwaway ledger, the real server spawned over stdio and driven by a real
 * MCP client, then the charges, the wallet and the margin per feature.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Config } from "../../config.js";
import { ledgerLocation, openLedger, type Ledger } from "../../ledger/index.js";
import { Accounts, usageEventView } from "../../accounts/accounts.js";
import { marginReport } from "../../reports/margin-report.js";
import { creditsToMicro, formatDecimal, parseDecimal } from "../../money.js";
import { startApifySimulator } from "../../simulator/apify.js";
import { startOpenRouterSimulator } from "../../simulator/openrouter.js";
import { startSocrataSimulator } from "../../simulator/socrata.js";
import { startStripeSimulator } from "../../simulator/stripe.js";
import { buyPackStep, DEMO_PACK } from "./buy.js";
import { printMarginTable } from "../margin-table.js";
import { printTable } from "../output.js";
import { DEMO_CREDITS, DEMO_ORG, DEMO_STEPS, OVER_BUDGET_STEP } from "./script.js";

const MAIN = fileURLToPath(new URL("../main.js", import.meta.url));

function firstText(result: CallToolResult): string {
  const block = result.content[0];
  return block && block.type === "text" ? block.text : "";
}

/** One line saying what a step produced. */
function describeResult(tool: string, out: Record<string, unknown>): string {
  const metering = out.metering as { cost_usd: number; credits_charged: number } | undefined;
  const charge = metering ? ` — provider cost $${metering.cost_usd}, charged ${metering.credits_charged} credits` : " — free";
  if (tool === "lead_qualify") return `score ${String(out.score)}/100 (${String(out.verdict)})${charge}`;
  if (tool === "lead_signal_fetch") return `${(out.items as unknown[]).length} items from run ${String(out.run_id)}${charge}`;
  if (tool === "permit_search") return `${(out.rows as unknown[]).length} permits from ${String(out.dataset)}${charge}`;
  return `${
    String(out.text)
      .split("\n")
      .find((line) => line.trim()) ?? ""
  }${charge}`;
}

export interface DemoOptions {
  /** Run on this PostgreSQL database (in an organisation of its own) instead of a throwaway SQLite file. */
  databaseUrl?: string | undefined;
}

export async function runDemo(config: Config, options: DemoOptions = {}): Promise<void> {
  console.log("ecn-mcp demo: OpenRouter, Apify, Socrata and Stripe are SIMULATED on loopback. No keys, no network, no real money.\n");
  const dir = mkdtempSync(join(tmpdir(), "ecn-demo-"));
  const target = options.databaseUrl ? { databaseUrl: options.databaseUrl, dbPath: "" } : { dbPath: join(dir, "demo.db") };
  // A database the demo does not own gets an organisation of its own, so earlier runs and other data stay apart.
  const orgName = options.databaseUrl ? `${DEMO_ORG}-${Date.now().toString(36)}` : DEMO_ORG;
  const [openrouter, apify, socrata, stripe] = await Promise.all([
    startOpenRouterSimulator(),
    startApifySimulator(),
    startSocrataSimulator(),
    startStripeSimulator(),
  ]);
  // The simulated run stands at its first results page until the demo has shown that progress, then goes on:
  // the progress line appears however fast or slow the machine is.
  Object.assign(apify.defaults, { durationMs: 1_500, holdAtItems: 1 });
  const ledger = await openLedger(target);
  let client: Client | undefined;
  try {
    const org = await ledger.createOrg(orgName, Date.now());
    await ledger.grantCredits(org.id, creditsToMicro(parseDecimal(DEMO_CREDITS)), "demo grant", Date.now());
    await ledger.billing.setPack(DEMO_PACK.name, creditsToMicro(parseDecimal(DEMO_PACK.credits)), DEMO_PACK.usdCents, Date.now());
    console.log(`${options.databaseUrl ? "Ledger" : "Throwaway ledger"} ${ledgerLocation(target)}: organisation "${orgName}" granted ${DEMO_CREDITS} credits.`);
    console.log(`Pricing: provider cost x ${formatDecimal(config.markup)}, 1 credit = $${formatDecimal(config.creditUsdValue)}.\n`);

    // The SDK adds the safe defaults (PATH, HOME, ...) to this environment; the server gets no other keys.
    const env: Record<string, string> = {
      ...(options.databaseUrl ? { ECN_DATABASE_URL: options.databaseUrl } : { ECN_DB_PATH: target.dbPath }),
      ECN_ORG: orgName,
      ECN_MARKUP: formatDecimal(config.markup),
      ECN_CREDIT_USD_VALUE: formatDecimal(config.creditUsdValue),
      ECN_LOG_LEVEL: "warn",
      OPENROUTER_API_KEY: openrouter.apiKey,
      OPENROUTER_BASE_URL: openrouter.baseUrl,
      APIFY_API_TOKEN: apify.token,
      APIFY_BASE_URL: apify.baseUrl,
      ECN_SOCRATA_BASE_URL: socrata.baseUrl,
      ECN_STRIPE_SECRET_KEY: stripe.secretKey,
      ECN_STRIPE_BASE_URL: stripe.baseUrl,
    };
    client = new Client({ name: "ecn-mcp-demo", version: "1.0.0" });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [MAIN, "stdio"], env, stderr: "inherit" }));
    const { tools } = await client.listTools();
    console.log(`Connected to the real server over stdio: ${tools.length} tools.\n`);

    for (const [i, step] of DEMO_STEPS.entries()) {
      console.log(`${i + 1}. ${step.title}`);
      const result = (await client.callTool({ name: step.tool, arguments: step.args }, undefined, {
        onprogress: (p) => {
          console.log(`   … ${p.message ?? p.progress}`);
          if (p.progress > 0) apify.release();
        },
        resetTimeoutOnProgress: true,
      })) as CallToolResult;
      if (result.isError) throw new Error(`${step.tool} failed: ${firstText(result)}`);
      console.log(`   ${describeResult(step.tool, result.structuredContent ?? {})}`);
    }

    const budgetStep = OVER_BUDGET_STEP;
    console.log(`${DEMO_STEPS.length + 1}. ${budgetStep.title}`);
    await ledger.setBudget(
      { orgId: org.id, feature: budgetStep.tool, period: "day", limitMicroCredits: creditsToMicro(parseDecimal(budgetStep.budgetCredits)), hard: true },
      Date.now(),
    );
    const refused = (await client.callTool({ name: budgetStep.tool, arguments: budgetStep.args })) as CallToolResult;
    console.log(`   refused before any provider request: ${firstText(refused)}\n`);

    console.log(`${DEMO_STEPS.length + 2}. Buy credits (buy_credits, then Stripe Checkout and its webhook, simulated)`);
    await buyPackStep(client, ledger, stripe, config, org.id);

    const events = await report(ledger, org.id, config);
    const paid = openrouter.paidRequests().length + apify.startedRuns().length;
    const matched = paid === events ? "one usage event for each" : `${events} usage events: THEY DIFFER`;
    console.log(`\nThe simulated providers saw ${paid} paid requests; the ledger holds ${matched}.`);
    if (paid !== events) throw new Error("the provider request log and the ledger disagree");
  } finally {
    await client?.close().catch(() => undefined);
    await ledger.close();
    await Promise.all([openrouter.close(), apify.close(), socrata.close(), stripe.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Prints charges, wallet and margins; returns how many usage events the ledger holds. */
async function report(ledger: Ledger, orgId: string, config: Config): Promise<number> {
  const pricing = { markup: config.markup, creditUsdValue: config.creditUsdValue, deploymentMode: "hosted" as const };
  const events = (await ledger.recentUsage({ orgId, limit: 100 })).reverse().map(usageEventView);
  console.log("Charges (usage_events):");
  printTable(
    ["feature", "provider", "model / actor", "provider cost (USD)", "credits charged"],
    events.map((e) => [e.feature, e.provider, e.model, e.cost_usd, e.credits_charged]),
  );
  const wallet = await new Accounts(ledger, pricing).wallet(orgId);
  console.log("\nWallet:");
  printTable(["balance (credits)", "held", "available"], [[wallet.balance_credits, wallet.held_credits, wallet.available_credits]]);
  console.log("\nMargin per feature:");
  printMarginTable(marginReport(await ledger.featureMargins({ orgId }), config.markup, config.creditUsdValue));
  return events.length;
}
