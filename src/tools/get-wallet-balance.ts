import { z } from "zod";
import { defineTool, READ_ONLY } from "./tool.js";
import { ICONS } from "./icons.js";

export const getWalletBalance = defineTool({
  name: "get_wallet_balance",
  title: "Wallet balance",
  description: "Shows the credit wallet of your organisation: balance, credits held by running calls, and what is available for new paid calls. Free.",
  input: z.strictObject({}),
  output: z.object({
    org_id: z.string().describe("Organisation id."),
    balance_credits: z.number().describe("Credits in the wallet (may be negative after a call cost more than its hold)."),
    held_credits: z.number().describe("Credits reserved by paid calls still running."),
    available_credits: z.number().describe("balance - held: what new paid calls can reserve."),
    credit_usd_value: z.number().describe("US dollars one credit is worth."),
    deployment_mode: z.enum(["hosted", "self_host"]).describe("hosted: calls are charged; self_host: the operator pays providers, calls cost 0 credits."),
  }),
  annotations: { title: "Wallet balance", ...READ_ONLY },
  icons: [ICONS.wallet],
  handler: async (_args, context, deps) => deps.accounts.wallet(context.org.id),
});
