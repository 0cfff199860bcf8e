/**
 * The composition root: builds the ledger, providers, metering core and
 * read models from the configuration, once, for whichever command runs.
 */
import type { Config } from "../config.js";
import { armFailpoint } from "../failpoints.js";
import { openLedger, type PostgresLedger, type SqliteLedger } from "../ledger/index.js";
import { createLogger, type Logger } from "../log.js";
import { Accounts } from "../accounts/accounts.js";
import { Metering } from "../metering/meter.js";
import { ServerInstance } from "../fleet/instance.js";
import { thisProcess } from "../fleet/liveness.js";
import type { PricingConfig } from "../metering/pricing.js";
import { PublicData } from "../metering/public-data.js";
import { Tasks } from "../tasks/tasks.js";
import { Reconciler, type ReconciledCall, type ReconcileOptions } from "../fleet/reconcile.js";
import { reconcileAsCommand } from "../fleet/reconcile-command.js";
import { LedgerWatch } from "../fleet/ledger-watch.js";
import { HostSpool } from "../fleet/spool/host-spool.js";
import { spoolLedgerName } from "../fleet/spool/outcomes.js";
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
  /** MCP tasks: paid runs a client asked to outlive its request (servers run them; any process reads them). */
  tasks: Tasks;
  reconciler: Reconciler;
  /** OpenRouter's own account of what the key was billed (cost audits, start snapshots); undefined without a key. */
  openrouterAudit: OpenRouterAudit | undefined;
  /** Apify's own account of the spend (cost audits only: apify-client loads when asked); undefined without a token. */
  apifyAudit(): Promise<ApifyAudit | undefined>;
  /** This process as a registered server instance (servers only; CLI verbs are not instances). */
  instance: ServerInstance | null;
  /** The outcome spools on this machine: a server's own journal (servers only), and dead servers' journals it replays. */
  spool: HostSpool;
  /** What this process has seen of the ledger's writability (a failed write restarts it). */
  watch: LedgerWatch;
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
  const watch = new LedgerWatch();
  const spool = new HostSpool({ dir: config.spoolDir, ledgerName: spoolLedgerName(config), ledger, logger, identity, watch });
  let instance: ServerInstance | null = null;
  if (options.serve) {
    instance = new ServerInstance({
      ledger,
      logger,
      identity,
      kind: options.serve,
      heartbeatMs: config.instances.heartbeatMs,
      onHeartbeat: (written) => (written ? spool.ledgerWrote() : watch.failed()),
    });
    // Preallocated now, while there is room: the spool must still take records when the disk is full.
    spool.openJournal(instance.id, Date.now());
    // Before this server sweeps or serves: what dead servers on this machine spooled goes into the ledger first.
    await spool.replay();
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
    ...(instance ? { instanceReady: () => instance.ready(), spool } : {}),
    sandbox: config.sandbox,
  });
  const reconciler = new Reconciler({ ledger, providers: { openrouter, apify }, pricing, logger, identity, spool });
  const reconcileOptions = (source: "sweep" | "command"): ReconcileOptions => ({
    source,
    heldGraceMs: config.reconcileGraceMs,
    llmDeadlineMs: config.providerTimeoutMs + config.reconcileGraceMs,
    actorDeadlineMs: config.actorTimeoutMs + config.reconcileGraceMs,
    instanceTtlMs: config.instances.ttlMs,
    unknownMaxAgeMs: config.unknownMaxAgeMs,
    selfInstanceId: instance?.id ?? null,
    selfMayResolve: (callId) => metering.ownCalls.mayResolve(callId),
    abortWaitSecs: ABORT_WAIT_SECS,
    ledgerSteadyMs: watch.steadyMs(),
  });
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
    tasks: new Tasks({ ledger, outcomeOf: (callId) => metering.outcomeOf(callId), logger, ttlMs: config.taskTtlMs }),
    reconciler,
    openrouterAudit: config.openrouter.apiKey ? createOpenRouterAudit({ apiKey: config.openrouter.apiKey, baseUrl: config.openrouter.baseUrl }) : undefined,
    apifyAudit: async () => {
      if (!config.apify.token) return undefined;
      return (await import("../providers/apify-audit.js")).createApifyAudit({ token: config.apify.token, baseUrl: config.apify.baseUrl });
    },
    instance,
    spool,
    watch,
    reconcile: (source = "command") =>
      source === "sweep"
        ? reconciler.run(reconcileOptions(source))
        : reconcileAsCommand({ reconciler, ledger, watch, logger, probeEveryMs: config.instances.heartbeatMs }, reconcileOptions(source)),
    close: async () => {
      // The row goes only once nothing of this server waits in its spool (see ServerInstance.stop).
      await instance?.stop(() => spool.close());
      await ledger.close();
      await sandbox?.close();
    },
  };
}
