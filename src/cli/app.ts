/**
 * The composition root of the servers and of the verbs that call providers:
 * on top of the ledger (./ledger-app.ts) it builds the providers, the
 * metering core, public data and the reconciler, once, for whichever command
 * runs. Verbs that only read or write the ledger open ./ledger-app.ts alone.
 */
import type { Config } from "../config.js";
import { armFailpoint } from "../failpoints.js";
import { createLogger, type Logger } from "../log.js";
import { Billing } from "../billing/billing.js";
import { Metering } from "../metering/meter.js";
import { ServerInstance } from "../fleet/instance.js";
import { thisProcess } from "../fleet/liveness.js";
import { PublicData } from "../metering/public-data.js";
import { Tasks } from "../tasks/tasks.js";
import { Reconciler, type ReconciledCall, type ReconcileOptions } from "../fleet/reconcile.js";
import { reconcileAsCommand } from "../fleet/reconcile-command.js";
import { LedgerWatch } from "../fleet/ledger-watch.js";
import { HostSpool } from "../fleet/spool/host-spool.js";
import { spoolLedgerName } from "../fleet/spool/outcomes.js";
import type { MeteringObserver } from "../metering/types.js";
import { usdToNano } from "../money.js";
import { openLedgerApp, type LedgerApp } from "./ledger-app.js";
import type { ApifyAudit } from "../providers/apify-audit.js";
import { lazyApify, lazyOpenRouter, lazyOpenRouterAudit } from "../providers/lazy.js";
import type { OpenRouterAudit } from "../providers/openrouter-audit.js";
import { createSocrata } from "../providers/socrata.js";
import { boundHeapGrowth } from "../server/heap.js";
import { SERVER_VERSION } from "../server/version.js";
import { observeApify, observeLedger, observeOpenRouter, type Observation, type StepTimer } from "../telemetry/instrument.js";
import { chargeOnSpan, type Tracing } from "../telemetry/tracing.js";

export interface App extends LedgerApp {
  metering: Metering;
  publicData: PublicData;
  /** MCP tasks: paid runs a client asked to outlive its request (servers run them; any process reads them). */
  tasks: Tasks;
  reconciler: Reconciler;
  /** OpenRouter's own account of what the key was billed (cost audits, start snapshots); undefined without a key. */
  openrouterAudit: OpenRouterAudit | undefined;
  /** Apify's own account of the spend (cost audits only: apify-client loads when asked); undefined without a token. */
  apifyAudit(): Promise<ApifyAudit | undefined>;
  /** Money coming in: Stripe checkout and webhooks, auto-recharge, alerts, the webhook outbox. */
  billing: Billing;
  /** This process as a registered server instance (servers only; CLI verbs are not instances). */
  instance: ServerInstance | null;
  /** The outcome spools on this machine: a server's own journal (servers only), and dead servers' journals it replays. */
  spool: HostSpool;
  /** What this process has seen of the ledger's writability (a failed write restarts it). */
  watch: LedgerWatch;
  /** One sweep of the reconciler with the configured deadlines. */
  reconcile(source?: "sweep" | "command"): Promise<ReconciledCall[]>;
  /** Traces (servers with OTEL_EXPORTER_OTLP_ENDPOINT set); undefined when tracing is off. */
  tracing: Tracing | undefined;
  /** Deregisters the instance, then closes the ledger, then sends the last traces. */
  close: () => Promise<void>;
}

export interface AppOptions {
  logger?: Logger;
  /** Told about the metering core's rejections and resolutions (metrics in HTTP mode). */
  observe?: MeteringObserver;
  /** A server: registered as an instance with a heartbeat, and the owner of the calls it holds. */
  serve?: "stdio" | "http";
  /** Times each paid call's hold, provider requests and resolution (metrics in HTTP mode). */
  timer?: StepTimer;
}

/** How long a reconcile waits for an aborted Apify run to report its final state (aborts take seconds). */
const ABORT_WAIT_SECS = 20;

export async function createApp(given: Config, options: AppOptions = {}): Promise<App> {
  // A server lives long and serves many calls: its heap is kept near what it holds (see server/heap.ts).
  if (options.serve) boundHeapGrowth();
  // Servers trace when a collector is configured; OpenTelemetry loads only then (a verb never loads it).
  const traced = options.serve !== undefined && given.otel !== null;
  let tracing: Tracing | undefined;
  const logger = options.logger ?? createLogger(given.logLevel, { format: given.logFormat, ...(traced ? { context: () => tracing?.logContext() } : {}) });
  if (traced && given.otel) tracing = (await import("../telemetry/otel.js")).startTracing(given.otel, logger, SERVER_VERSION);
  let base: LedgerApp | undefined;
  try {
    base = await openLedgerApp(given, { logger, simulators: options.serve !== undefined });
    return await assemble(base, options, tracing);
  } catch (error) {
    await base?.close();
    await tracing?.shutdown();
    throw error;
  }
}

async function assemble(base: LedgerApp, options: AppOptions, tracing: Tracing | undefined): Promise<App> {
  const { config, logger, ledger, pricing } = base;
  armFailpoint(config.failpoint ?? null);
  if (config.failpoint) logger.warn("TEST FAILPOINT ARMED: this process kills itself during paid calls", { failpoint: config.failpoint });
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
    // A server reads API keys, rate cards and model prices from memory, for as long as it hears every change to them.
    await ledger.startCache({
      ttlMs: config.cacheTtlMs,
      note: (on, reason) =>
        on
          ? logger.info("read cache on: API keys, rate cards and model prices are served from memory", { reason, ttl_ms: config.cacheTtlMs })
          : logger.warn("read cache off: every API key, rate card and model price is read from the ledger until changes can be heard again", {
              reason,
            }),
    });
  }
  // Each provider's client package loads at its first request (providers/lazy.ts), not here; stripe too (billing/billing.ts).
  const openrouter = config.openrouter.apiKey ? lazyOpenRouter({ apiKey: config.openrouter.apiKey, baseUrl: config.openrouter.baseUrl }) : undefined;
  const apify = config.apify.token ? lazyApify({ token: config.apify.token, baseUrl: config.apify.baseUrl }) : undefined;
  // With metrics or traces, the metering core works through observed copies of the ledger and providers.
  const observation: Observation | null = tracing || options.timer ? { tracing, timer: options.timer } : null;
  const observe = [options.observe, tracing ? chargeOnSpan(tracing) : undefined].filter((o) => o !== undefined);
  const billing = new Billing({
    ledger,
    logger,
    pricing,
    stripe: config.stripe,
    webhooks: config.webhooks,
    // The sandbox's purchases return to this server's own address, never to a public one.
    publicUrl: config.sandbox ? undefined : config.oauth.publicUrl,
  });
  const metering = new Metering({
    ledger: observation ? observeLedger(ledger, ledger.engine.dialect, observation) : ledger,
    pricing,
    providers: {
      openrouter: observation && openrouter ? observeOpenRouter(openrouter, observation) : openrouter,
      apify: observation && apify ? observeApify(apify, observation) : apify,
    },
    providerTimeoutMs: config.providerTimeoutMs,
    actorTimeoutMs: config.actorTimeoutMs,
    logger,
    embeddingModel: config.openrouter.embeddingModel,
    leadSignalActor: config.apify.leadSignalActor,
    leadSignalMinChargeNanoUsd: config.apify.minChargeUsd ? usdToNano(config.apify.minChargeUsd) : null,
    ...(observe.length === 1 ? { observe: observe[0]! } : observe.length > 1 ? { observe: (event) => observe.forEach((o) => o(event)) } : {}),
    instanceId: instance?.id ?? null,
    ...(instance ? { instanceReady: () => instance.ready(), spool } : {}),
    sandbox: config.sandbox,
    balanceSignalled: () => billing.kick(),
    paymentsConfigured: billing.paymentsConfigured,
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
    ...base,
    metering,
    billing,
    publicData: new PublicData(ledger, socrata),
    tasks: new Tasks({ ledger, outcomeOf: (callId) => metering.outcomeOf(callId), logger, ttlMs: config.taskTtlMs }),
    reconciler,
    openrouterAudit: config.openrouter.apiKey ? lazyOpenRouterAudit({ apiKey: config.openrouter.apiKey, baseUrl: config.openrouter.baseUrl }) : undefined,
    apifyAudit: async () => {
      if (!config.apify.token) return undefined;
      return (await import("../providers/apify-audit.js")).createApifyAudit({ token: config.apify.token, baseUrl: config.apify.baseUrl });
    },
    instance,
    spool,
    watch,
    tracing,
    reconcile: (source = "command") =>
      source === "sweep"
        ? reconciler.run(reconcileOptions(source))
        : reconcileAsCommand({ reconciler, ledger, watch, logger, probeEveryMs: config.instances.heartbeatMs }, reconcileOptions(source)),
    close: async () => {
      await billing.stop();
      // The row goes only once nothing of this server waits in its spool (see ServerInstance.stop).
      await instance?.stop(() => spool.close());
      await base.close();
      await tracing?.shutdown();
    },
  };
}
