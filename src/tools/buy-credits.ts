import { z } from "zod";
import { EcnError } from "../errors.js";
import { ICONS } from "./icons.js";
import { defineTool } from "./tool.js";

export const buyCredits = defineTool({
  name: "buy_credits",
  title: "Buy credits",
  description:
    "Returns a Stripe Checkout link where a person can buy a pack of credits for your organisation (the credits arrive once Stripe confirms the payment). " +
    "Use it when a paid tool answered insufficient_credits: hand the link to your person instead of failing. Free.",
  input: z.strictObject({
    pack: z.string().min(1).max(100).optional().describe("Name of the credit pack to buy (the operator defines them). Default: the smallest pack."),
  }),
  output: z.object({
    url: z.string().describe("Stripe Checkout page where a person pays; open it in a browser."),
    pack: z.string().describe("The pack being bought."),
    credits: z.number().describe("Credits the pack adds to the wallet once paid."),
    usd: z.number().describe("Price in US dollars."),
  }),
  // Starts a checkout (nothing is charged until a person pays on Stripe's page).
  annotations: { title: "Buy credits", readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  icons: [ICONS.buy],
  handler: async (args, context, deps) => {
    if (!deps.billing?.paymentsConfigured) {
      throw new EcnError(
        "provider_not_configured",
        "payments are not configured on this server: the operator sets ECN_STRIPE_SECRET_KEY, or grants credits with ecn-mcp credits grant",
      );
    }
    const { url, pack, credits, usd } = await deps.billing.checkout(context.org, args.pack);
    return { url, pack, credits, usd };
  },
});
