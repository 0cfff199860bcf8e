/**
 * The connector settings of the configuration (the OAuth 2.1 authorization
 * server built into `ecn-mcp http`): their zod fields and what they become.
 * config.ts reads the environment and merges these into its one schema.
 */
import { z } from "zod/v3";
import { compareDecimal, creditsToMicro, parseDecimal } from "./money.js";

/** Connectors: the OAuth 2.1 authorization server built into `ecn-mcp http`. */
export interface OAuthConfig {
  /** The externally visible base URL (ECN_PUBLIC_URL); undefined: http://HOST:PORT of the listener. */
  publicUrl: string | undefined;
  /** A connection's daily credit cap: the default on the consent page and the most a person may choose. */
  connectionDayCapMicroCredits: bigint;
  /** The organisation's own OpenID Connect provider, when members sign in through it. */
  upstream: { issuer: string; clientId: string; clientSecret: string | undefined } | undefined;
  /** Test only: fetch client ID metadata documents from loopback and private addresses (never in production). */
  metadataFetchAnyAddress: boolean;
}

const baseUrl = z
  .string()
  .refine((value) => /^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(value) && URL.canParse(value), {
    message: "must be an http(s) base URL without a query or fragment, e.g. https://mcp.example.com",
  })
  .transform((value) => value.replace(/\/+$/, ""));

const MAX_CAP = parseDecimal("1000000");
const dayCap = z.string().transform((text, ctx) => {
  try {
    const value = parseDecimal(text);
    if (compareDecimal(value, parseDecimal("0")) > 0 && compareDecimal(value, MAX_CAP) <= 0) return creditsToMicro(value);
  } catch {
    // reported below
  }
  ctx.addIssue({ code: "custom", message: `must be a number of credits above 0 and at most 1000000 with at most 6 decimals, such as 100 (got "${text}")` });
  return z.NEVER;
});

/** The environment variables, as fields of the configuration's schema. */
export const oauthVars = {
  ECN_PUBLIC_URL: baseUrl.optional(),
  ECN_CONNECTION_DAY_CAP_CREDITS: dayCap.default("100"),
  ECN_OIDC_ISSUER: baseUrl.optional(),
  ECN_OIDC_CLIENT_ID: z.string().trim().min(1).max(500).optional(),
  ECN_OIDC_CLIENT_SECRET: z
    .string()
    .optional()
    .transform((value) => (value && value.trim() ? value.trim() : undefined)),
  ECN_OAUTH_METADATA_FETCH_ANY_ADDRESS: z.enum(["0", "1"]).default("0"),
};

type Vars = z.output<z.ZodObject<typeof oauthVars>>;

/** Settings that only make sense together; each problem names its variable. */
export function oauthProblems(v: Vars): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (!v.ECN_OIDC_ISSUER !== !v.ECN_OIDC_CLIENT_ID) {
    problems.push({
      path: v.ECN_OIDC_ISSUER ? "ECN_OIDC_CLIENT_ID" : "ECN_OIDC_ISSUER",
      message: "ECN_OIDC_ISSUER and ECN_OIDC_CLIENT_ID go together: set both to sign members in through your identity provider, or neither",
    });
  }
  if (v.ECN_OIDC_CLIENT_SECRET && !v.ECN_OIDC_ISSUER) problems.push({ path: "ECN_OIDC_CLIENT_SECRET", message: "is set but ECN_OIDC_ISSUER is not" });
  return problems;
}

export function oauthConfig(v: Vars): OAuthConfig {
  return {
    publicUrl: v.ECN_PUBLIC_URL,
    connectionDayCapMicroCredits: v.ECN_CONNECTION_DAY_CAP_CREDITS,
    upstream:
      v.ECN_OIDC_ISSUER && v.ECN_OIDC_CLIENT_ID
        ? { issuer: v.ECN_OIDC_ISSUER, clientId: v.ECN_OIDC_CLIENT_ID, clientSecret: v.ECN_OIDC_CLIENT_SECRET }
        : undefined,
    metadataFetchAnyAddress: v.ECN_OAUTH_METADATA_FETCH_ANY_ADDRESS === "1",
  };
}
