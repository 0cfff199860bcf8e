/**
 * The payment settings of the configuration (Stripe for money coming in,
 * outgoing webhooks for alerts and grants): their zod fields and what they
 * become. config.ts reads the environment and merges these into its one
 * schema. The externally visible base URL Stripe's return links use is
 * ECN_PUBLIC_URL, shared with connectors (config-oauth.ts).
 */
import { z } from "zod/v3";
import { httpUrl, optionalSecret } from "./config-fields.js";

/** Stripe, for money coming in (checkout, auto-recharge); payments are off without a secret key. */
export interface StripeConfig {
  secretKey: string | undefined;
  webhookSecret: string | undefined;
  baseUrl: string;
}

/** Outgoing webhooks: loopback http allowed (self-hosters, tests), the first retry's delay (later ones grow), how long a receiver may take. */
export interface WebhooksConfig {
  allowLoopback: boolean;
  retryMs: number;
  timeoutMs: number;
}

const flag = z.enum(["0", "1", "true", "false"]).default("0");

/** The environment variables, as fields of the configuration's schema. */
export const billingVars = {
  ECN_STRIPE_SECRET_KEY: optionalSecret.refine((key) => key === undefined || /^(sk|rk)_(test|live)_\w+$/.test(key), {
    message: "must be a Stripe secret key (sk_live_…, sk_test_… or a restricted rk_… key)",
  }),
  ECN_STRIPE_WEBHOOK_SECRET: optionalSecret.refine((secret) => secret === undefined || secret.startsWith("whsec_"), {
    message: "must be the webhook endpoint's signing secret (whsec_…, from the Stripe dashboard or `stripe listen`)",
  }),
  ECN_STRIPE_BASE_URL: httpUrl.default("https://api.stripe.com"),
  ECN_WEBHOOK_ALLOW_LOOPBACK: flag,
  ECN_WEBHOOK_RETRY_MS: z.coerce.number().int().min(10).max(3_600_000).default(5_000),
  ECN_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
};

type Vars = z.output<z.ZodObject<typeof billingVars>>;

/** The secrets among them: never printed (see redact.ts). */
export const billingSecrets = (v: Vars) => [v.ECN_STRIPE_SECRET_KEY, v.ECN_STRIPE_WEBHOOK_SECRET];

export function billingConfig(v: Vars): { stripe: StripeConfig; webhooks: WebhooksConfig } {
  return {
    stripe: { secretKey: v.ECN_STRIPE_SECRET_KEY, webhookSecret: v.ECN_STRIPE_WEBHOOK_SECRET, baseUrl: v.ECN_STRIPE_BASE_URL },
    webhooks: {
      allowLoopback: v.ECN_WEBHOOK_ALLOW_LOOPBACK === "1" || v.ECN_WEBHOOK_ALLOW_LOOPBACK === "true",
      retryMs: v.ECN_WEBHOOK_RETRY_MS,
      timeoutMs: v.ECN_WEBHOOK_TIMEOUT_MS,
    },
  };
}
