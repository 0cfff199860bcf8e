/**
 * The sandbox: the real server, metering and ledger code, wired to the
 * built-in simulated providers (the loopback fakes the tests and the demo
 * use) and to a ledger of its own, so an agent builder can run a workflow end
 * to end with no keys and no money, then go live by dropping one setting.
 * Nothing in it can reach a real provider (every provider setting is replaced)
 * or the live ledger (a separate SQLite file, even when the live ledger is
 * PostgreSQL).
 */
import { sandboxDbPath, type Config } from "../config.js";
import type { StripeSimulator } from "../simulator/stripe.js";

export interface Sandboxed {
  config: Config;
  /** What the banner says. */
  summary: string;
  /** Points the simulated Stripe's webhook at the server once it listens (its address is known only then). */
  listening: (webhookUrl: string) => void;
  close: () => Promise<void>;
}

/** The running simulators: what a server's configuration points at, and how to stop them. */
export interface Simulators {
  openrouter: { baseUrl: string; apiKey: string };
  apify: { baseUrl: string; token: string };
  socrata: { baseUrl: string };
  stripe: StripeSimulator;
  close: () => Promise<void>;
}

/** Starts the four simulators on loopback (loaded only when asked for). */
export async function startSimulators(): Promise<Simulators> {
  const [{ startOpenRouterSimulator }, { startApifySimulator }, { startSocrataSimulator }, { startStripeSimulator }] = await Promise.all([
    import("../simulator/openrouter.js"),
    import("../simulator/apify.js"),
    import("../simulator/socrata.js"),
    import("../simulator/stripe.js"),
  ]);
  const [openrouter, apify, socrata, stripe] = await Promise.all([
    startOpenRouterSimulator(),
    startApifySimulator(),
    startSocrataSimulator(),
    startStripeSimulator(),
  ]);
  return {
    openrouter: { baseUrl: openrouter.baseUrl, apiKey: openrouter.apiKey },
    apify: { baseUrl: apify.baseUrl, token: apify.token },
    socrata: { baseUrl: socrata.baseUrl },
    stripe,
    close: async () => {
      await Promise.all([openrouter.close(), apify.close(), socrata.close(), stripe.close()]);
    },
  };
}

/**
 * The configuration a sandboxed command runs with. Servers get the simulators
 * (started here); other verbs get no provider at all, only the sandbox ledger.
 */
export async function sandboxed(config: Config, withSimulators: boolean): Promise<Sandboxed> {
  const dbPath = sandboxDbPath(config.dbPath);
  const sims = withSimulators ? await startSimulators() : null;
  const providers = {
    openrouter: { ...config.openrouter, apiKey: sims?.openrouter.apiKey, baseUrl: sims?.openrouter.baseUrl ?? "http://127.0.0.1:9" },
    apify: { ...config.apify, token: sims?.apify.token, baseUrl: sims?.apify.baseUrl ?? "http://127.0.0.1:9" },
    socrata: { appToken: undefined, baseUrl: sims?.socrata.baseUrl ?? "http://127.0.0.1:9" },
    // Never real Stripe: the simulator's keys for servers, no payments at all for other verbs.
    stripe: sims
      ? { secretKey: sims.stripe.secretKey, webhookSecret: sims.stripe.webhookSecret, baseUrl: sims.stripe.baseUrl }
      : { secretKey: undefined, webhookSecret: undefined, baseUrl: "http://127.0.0.1:9" },
  };
  return {
    // The sandbox's spools sit beside its own ledger, never among the live servers' journals.
    config: { ...config, sandbox: true, databaseUrl: undefined, dbPath, spoolDir: `${dbPath}.spool`, ...providers },
    summary: `SANDBOX: simulated providers and Stripe${sims ? " on loopback" : " (none for this command)"}, sandbox ledger ${dbPath}; no real provider, no real money, not the live ledger`,
    listening: (webhookUrl) => {
      if (sims) sims.stripe.webhooks.url = webhookUrl;
    },
    close: async () => {
      await sims?.close();
    },
  };
}
