/**
 * The demo's purchase: the agent asks buy_credits for a link (the server
 * creates a Stripe Checkout Session through the `stripe` package, on the
 * simulator), a person pays on the simulator's page, Stripe's signed webhook
 * reaches a receiver in this process, and the ledger grants the pack once.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { Billing } from "../../billing/billing.js";
import { listenForStripe } from "../../billing/receiver.js";
import type { Config } from "../../config.js";
import type { Ledger } from "../../ledger/index.js";
import { silentLogger } from "../../log.js";
import { microToCredits } from "../../money.js";
import type { StripeSimulator } from "../../simulator/stripe.js";

export const DEMO_PACK = { name: "starter", credits: "1000", usdCents: 1000 } as const;

export async function buyPackStep(client: Client, ledger: Ledger, stripe: StripeSimulator, config: Config, orgId: string): Promise<void> {
  const billing = new Billing({
    ledger,
    logger: silentLogger,
    pricing: { markup: config.markup, creditUsdValue: config.creditUsdValue, deploymentMode: "hosted" },
    stripe: { secretKey: stripe.secretKey, webhookSecret: stripe.webhookSecret, baseUrl: stripe.baseUrl },
    webhooks: { allowLoopback: true, retryMs: 5_000, timeoutMs: 15_000 },
    publicUrl: undefined,
  });
  const receiver = await listenForStripe(billing);
  stripe.webhooks.url = receiver.url;
  try {
    const before = (await ledger.getWallet(orgId)).balanceMicroCredits;
    const result = (await client.callTool({ name: "buy_credits", arguments: { pack: DEMO_PACK.name } })) as CallToolResult;
    const block = result.content[0];
    if (result.isError) throw new Error(`buy_credits failed: ${block && block.type === "text" ? block.text : ""}`);
    const link = result.structuredContent as { url: string; credits: number; usd: number };
    console.log(`   the agent got a checkout link for ${link.credits} credits ($${link.usd.toFixed(2)}): ${link.url}`);
    const sessionId = new URL(link.url).pathname.split("/").pop()!;
    stripe.pay(sessionId, "4242424242424242");
    console.log("   a person paid on the (simulated) Stripe page with test card 4242 4242 4242 4242");
    for (let waited = 0; (await ledger.getWallet(orgId)).balanceMicroCredits === before; waited += 50) {
      if (waited > 30_000) throw new Error("Stripe's webhook never granted the credits");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const after = (await ledger.getWallet(orgId)).balanceMicroCredits;
    console.log(`   Stripe's signed webhook arrived: granted ${microToCredits(after - before)} credits once (session ${sessionId})\n`);
  } finally {
    await stripe.settled();
    await billing.stop();
    await receiver.close();
  }
}
