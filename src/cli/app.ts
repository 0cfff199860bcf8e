/**
 * The composition root: builds the ledger, providers, metering core and
 * read models from the configuration, once, for whichever command runs.
 */
import type { Config } from "../config.js";
import { openLedger, type SqliteLedger } from "../ledger/index.js";
import { createLogger, type Logger } from "../log.js";
import { Accounts } from "../metering/accounts.js";
import { Metering } from "../metering/meter.js";
import type { PricingConfig } from "../metering/pricing.js";
import { createOpenRouter } from "../providers/openrouter.js";

export interface App {
  config: Config;
  logger: Logger;
  ledger: SqliteLedger;
  pricing: PricingConfig;
  metering: Metering;
  accounts: Accounts;
  close(): void;
}

export function createApp(config: Config, logger: Logger = createLogger(config.logLevel)): App {
  const ledger = openLedger(config.dbPath);
  const pricing: PricingConfig = {
    markup: config.markup,
    creditUsdValue: config.creditUsdValue,
    deploymentMode: config.deploymentMode,
  };
  const openrouter = config.openrouter.apiKey
    ? createOpenRouter({ apiKey: config.openrouter.apiKey, baseUrl: config.openrouter.baseUrl })
    : undefined;
  const metering = new Metering({
    ledger,
    pricing,
    providers: { openrouter },
    providerTimeoutMs: config.providerTimeoutMs,
    logger,
  });
  return { config, logger, ledger, pricing, metering, accounts: new Accounts(ledger, pricing), close: () => ledger.close() };
}
