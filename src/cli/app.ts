/**
 * The composition root: builds the ledger, providers, metering core and
 * read models from the configuration, once, for whichever command runs.
 */
import type { Config } from "../config.js";
import { armFailpoint } from "../failpoints.js";
import { openLedger, type PostgresLedger, type SqliteLedger } from "../ledger/index.js";
import { createLogger, type Logger } from "../log.js";
import { Accounts } from "../metering/accounts.js";
import { Metering } from "../metering/meter.js";
import type { PricingConfig } from "../metering/pricing.js";
import { PublicData } from "../metering/public-data.js";
import { Reconciler, type ReconciledCall } from "../metering/reconcile.js";
import type { MeteringObserver } from "../metering/types.js";
import { createOpenRouter } from "../providers/openrouter.js";
import { createSocrata } from "../providers/socrata.js";

export interface App {
  config: Config;
  logger: Logger;
  ledger: SqliteLedger | PostgresLedger;
  pricing: PricingConfig;
  metering: Metering;
  accounts: Accounts;
  publicData: PublicData;
  reconciler: Reconciler;
  /** One sweep of the reconciler with the configured deadlines. */
  reconcile(): Promise<ReconciledCall[]>;
  close(): Promise<void>;
}

export interface AppOptions {
  logger?: Logger;
  /** Told about the metering core's rejections and resolutions (metrics in HTTP mode). */
  observe?: MeteringObserver;
}

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config.logLevel);
  armFailpoint(config.failpoint ?? null);
  if (config.failpoint) logger.warn("TEST FAILPOINT ARMED: this process kills itself during paid calls", { failpoint: config.failpoint });
  const ledger = await openLedger({
    databaseUrl: config.databaseUrl,
    dbPath: config.dbPath,
    poolMax: config.pgPoolMax,
    onIdleError: (error) => logger.warn("a PostgreSQL connection failed while idle; the pool will make a new one", { error: error.message }),
  });
  const pricing: PricingConfig = {
    markup: config.markup,
    creditUsdValue: config.creditUsdValue,
    deploymentMode: config.deploymentMode,
  };
  const openrouter = config.openrouter.apiKey
    ? createOpenRouter({ apiKey: config.openrouter.apiKey, baseUrl: config.openrouter.baseUrl })
    : undefined;
  // apify-client (and its HTTP stack) loads only when a token says it will be used.
  const apify = config.apify.token
    ? (await import("../providers/apify.js")).createApify({ token: config.apify.token, baseUrl: config.apify.baseUrl })
    : undefined;
  const metering = new Metering({
    ledger,
    pricing,
    providers: { openrouter, apify },
    providerTimeoutMs: config.providerTimeoutMs,
    actorTimeoutMs: config.actorTimeoutMs,
    logger,
    embeddingModel: config.openrouter.embeddingModel,
    leadSignalActor: config.apify.leadSignalActor,
    ...(options.observe ? { observe: options.observe } : {}),
  });
  const reconciler = new Reconciler({ ledger, providers: { openrouter, apify }, pricing, logger });
  const socrata = createSocrata({
    ...(config.socrata.appToken ? { appToken: config.socrata.appToken } : {}),
    ...(config.socrata.baseUrl ? { baseUrl: config.socrata.baseUrl } : {}),
  });
  return {
    config,
    logger,
    ledger,
    pricing,
    metering,
    accounts: new Accounts(ledger, pricing),
    publicData: new PublicData(ledger, socrata),
    reconciler,
    reconcile: () =>
      reconciler.run({
        heldGraceMs: config.reconcileGraceMs,
        llmDeadlineMs: config.providerTimeoutMs + config.reconcileGraceMs,
        actorDeadlineMs: config.actorTimeoutMs + config.reconcileGraceMs,
      }),
    close: () => ledger.close(),
  };
}
