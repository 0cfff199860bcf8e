/**
 * The composition root: builds the ledger, providers, metering core and
 * read models from the configuration, once, for whichever command runs.
 */
import type { Config } from "../config.js";
import { armFailpoint } from "../failpoints.js";
import { openLedger, type PostgresLedger, type SqliteLedger } from "../ledger/index.js";
import { createLogger, type Logger } from "../log.js";
import { Accounts } from "../accounts/accounts.js";
import { Billing } from "../billing/billing.js";
import { Metering } from "../metering/meter.js";
import { ServerInstance } from "../fleet/instance.js";
import { thisProcess } from "../fleet/liveness.js";
import type { PricingConfig } from "../metering/pricing.js";
import { PublicData } from "../metering/public-data.js";
import { Reconciler, type ReconciledCall } from "../fleet/reconcile.js";
import type { MeteringObserver } from "../metering/types.js";
import { usdToNano } from "../money.js";
import { sandboxed, type Sandboxed } from "./sandbox.js";
import type { ApifyAudit } from "../providers/apify-audit.js";
import { createOpenRouter } from "../providers/openrouter.js";
import { createOpenRouterAudit, type OpenRouterAudit } from "../providers/openrouter-audit.js";
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
  /** OpenRouter's own account of what the key was billed (cost audits, start snapshots); undefined without a key. */
  openrouterAudit: OpenRouterAudit | undefined;
  /** Apify's own account of the spend (cost audits only: apify-client loads when asked); undefined without a token. */
  apifyAudit(): Promise<ApifyAudit | undefined>;
  /** Money coming in: Stripe checkout and webhooks, auto-recharge, alerts, the webhook outbox. */
  billing: Billing;
  /** In the sandbox: tells the simulated Stripe where this server takes its webhook. */
  sandboxListening?: (webhookUrl: string) => void;
  /** This process as a registered server instance (servers only; CLI verbs are not instances). */
  instance: ServerInstance | null;
  /** One sweep of the reconciler with the configured deadlines. */
  reconcile(source?: "sweep" | "command"): Promise<ReconciledCall[]>;
  /** Deregisters the instance, then closes the ledger. */
  close: () => Promise<void>;
}

export interface AppOptions {
  logger?: Logger;
  /** Told about the metering core's rejections and resolutions (metrics in HTTP mode). */
  observe?: MeteringObserver;
  /** A server: registered as an instance with a heartbeat, and the owner of the calls it holds. */
  serve?: "stdio" | "http";
}

/** How long a reconcile waits for an aborted Apify run to report its final state (aborts take seconds). */
const ABORT_WAIT_SECS = 20;

export async function createApp(given: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(given.logLevel);
  const sandbox = given.sandbox ? await sandboxed(given, options.serve !== undefined) : null;
  if (sandbox) logger.warn(sandbox.summary);
  try {
    return await assemble(sandbox?.config ?? given, options, logger, sandbox);
  } catch (error) {
    await sandbox?.close();
    throw error;
  }
}

async function assemble(config: Config, options: AppOptions, logger: Logger, sandbox: Sandboxed | null): Promise<App> {
  armFailpoint(config.failpoint ?? null);
  if (config.failpoint) logger.warn("TEST FAILPOINT ARMED: this process kills itself during paid calls", { failpoint: config.failpoint });
  const ledger = await openLedger({
    databaseUrl: config.databaseUrl,
    dbPath: config.dbPath,
    poolMax: config.pgPoolMax,
    onIdleError: (error) => logger.warn("a PostgreSQL connection failed while idle; the pool will make a new one", { error: error.message }),
  });
  const identity = thisProcess();
  let instance: ServerInstance | null = null;
  if (options.serve) {
    instance = new ServerInstance({ ledger, logger, identity, kind: options.serve, heartbeatMs: config.instances.heartbeatMs });
    await instance.register();
  }
  const pricing: PricingConfig = {
    markup: config.markup,
    creditUsdValue: config.creditUsdValue,
    deploymentMode: config.deploymentMode,
  };
  const openrouter = config.openrouter.apiKey ? createOpenRouter({ apiKey: config.openrouter.apiKey, baseUrl: config.openrouter.baseUrl }) : undefined;
  // apify-client (and its HTTP stack) loads only when a token says it will be used.
  const apify = config.apify.token
    ? (await import("../providers/apify.js")).createApify({ token: config.apify.token, baseUrl: config.apify.baseUrl })
    : undefined;
  const billing = new Billing({
    ledger,
    logger,
    pricing,
    stripe: config.stripe,
    webhooks: config.webhooks,
    publicUrl: config.publicUrl,
  });
  const metering = new Metering({
    ledger,
    pricing,
    providers: { openrouter, apify },
    providerTimeoutMs: config.providerTimeoutMs,
    actorTimeoutMs: config.actorTimeoutMs,
    logger,
    embeddingModel: config.openrouter.embeddingModel,
    leadSignalActor: config.apify.leadSignalActor,
    leadSignalMinChargeNanoUsd: config.apify.minChargeUsd ? usdToNano(config.apify.minChargeUsd) : null,
    ...(options.observe ? { observe: options.observe } : {}),
    instanceId: instance?.id ?? null,
    ...(instance ? { instanceReady: () => instance.ready() } : {}),
    sandbox: config.sandbox,
    balanceSignalled: () => billing.kick(),
    paymentsConfigured: billing.paymentsConfigured,
  });
  const reconciler = new Reconciler({ ledger, providers: { openrouter, apify }, pricing, logger, identity });
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
    billing,
    publicData: new PublicData(ledger, socrata),
    reconciler,
    openrouterAudit: config.openrouter.apiKey ? createOpenRouterAudit({ apiKey: config.openrouter.apiKey, baseUrl: config.openrouter.baseUrl }) : undefined,
    apifyAudit: async () => {
      if (!config.apify.token) return undefined;
      return (await import("../providers/apify-audit.js")).createApifyAudit({ token: config.apify.token, baseUrl: config.apify.baseUrl });
    },
    instance,
    ...(sandbox ? { sandboxListening: sandbox.listening } : {}),
    reconcile: (source = "command") =>
      reconciler.run({
        source,
        heldGraceMs: config.reconcileGraceMs,
        llmDeadlineMs: config.providerTimeoutMs + config.reconcileGraceMs,
        actorDeadlineMs: config.actorTimeoutMs + config.reconcileGraceMs,
        instanceTtlMs: config.instances.ttlMs,
        unknownMaxAgeMs: config.unknownMaxAgeMs,
        selfInstanceId: instance?.id ?? null,
        selfMayResolve: (callId) => metering.ownCalls.mayResolve(callId),
        abortWaitSecs: ABORT_WAIT_SECS,
      }),
    close: async () => {
      await billing.stop();
      await instance?.stop();
      await ledger.close();
      await sandbox?.close();
    },
  };
}
