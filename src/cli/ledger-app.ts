/**
 * The light half of the composition root: the configured ledger and the
 * read side of the money, which is all most verbs need (org, key, credits,
 * wallet, budget, rate-card list, usage, check-margins, ledger check). It
 * loads no metering core, no provider client (openai, apify-client), no MCP
 * SDK and no HTTP stack, so such a verb starts in a fraction of a server's
 * time. The servers build the whole App on top of it (./app.ts).
 */
import { resolve } from "node:path";
import type { Config } from "../config.js";
import type { PostgresLedger } from "../ledger/postgres/ledger.js";
import type { SqliteLedger } from "../ledger/sqlite/ledger.js";
import { ledgerLocation, openLedger } from "../ledger/open-any.js";
import { createLogger, type Logger } from "../log.js";
import { Accounts } from "../accounts/accounts.js";
import type { PricingConfig } from "../metering/pricing.js";
import { sandboxed } from "./sandbox.js";

export interface LedgerApp {
  config: Config;
  logger: Logger;
  ledger: SqliteLedger | PostgresLedger;
  /** Where the ledger is, as it may be shown: the SQLite file's absolute path, or the database URL without its password. */
  location: string;
  pricing: PricingConfig;
  accounts: Accounts;
  /** In the sandbox: tells the simulated Stripe where this server takes its webhook. */
  sandboxListening?: (webhookUrl: string) => void;
  /** Closes the ledger (and the sandbox's simulators). */
  close: () => Promise<void>;
}

export interface LedgerAppOptions {
  logger?: Logger;
  /** A sandboxed server gets the simulated providers started; other verbs only the sandbox ledger. */
  simulators?: boolean;
}

/** Opens the configured ledger (the sandbox's own, in the sandbox) with the accounts read model. */
export async function openLedgerApp(given: Config, options: LedgerAppOptions = {}): Promise<LedgerApp> {
  const logger = options.logger ?? createLogger(given.logLevel, { format: given.logFormat });
  const sandbox = given.sandbox ? await sandboxed(given, options.simulators ?? false) : null;
  if (sandbox) logger.warn(sandbox.summary);
  const config = sandbox?.config ?? given;
  try {
    const ledger = await openLedger({
      databaseUrl: config.databaseUrl,
      dbPath: config.dbPath,
      poolMax: config.pgPoolMax,
      onIdleError: (error) => logger.warn("a PostgreSQL connection failed while idle; the pool will make a new one", { error: error.message }),
    });
    const pricing: PricingConfig = { markup: config.markup, creditUsdValue: config.creditUsdValue, deploymentMode: config.deploymentMode };
    return {
      config,
      logger,
      ledger,
      location: ledgerLocation({ ...config, dbPath: config.dbPath === ":memory:" ? config.dbPath : resolve(config.dbPath) }),
      pricing,
      accounts: new Accounts(ledger, pricing),
      ...(sandbox ? { sandboxListening: sandbox.listening } : {}),
      close: async () => {
        await ledger.close();
        await sandbox?.close();
      },
    };
  } catch (error) {
    await sandbox?.close();
    throw error;
  }
}
