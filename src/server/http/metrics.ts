/**
 * Prometheus metrics (prom-client): paid calls by feature and outcome,
 * credits charged, provider cost, hold rejections, refusals by error code,
 * how long each paid call's hold, provider requests and resolution take,
 * tool and HTTP latency, and, on the PostgreSQL store, the connection pool.
 * Fed by the metering core's observer, the observed ledger and providers
 * (telemetry/instrument.ts), the MCP server's tool hook, the HTTP error
 * responses and the pool's own counts.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { PoolStats } from "../../ledger/index.js";
import type { MeteringObserver } from "../../metering/types.js";
import type { StepTimer } from "../../telemetry/instrument.js";
import { microToCredits, nanoToUsd } from "../../money.js";

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export class Metrics {
  readonly registry = new Registry();
  private readonly toolCalls = new Counter({
    name: "ecn_tool_calls_total",
    help: "MCP tool calls by tool and outcome (ok, error)",
    labelNames: ["tool", "outcome"],
    registers: [this.registry],
  });
  private readonly toolSeconds = new Histogram({
    name: "ecn_tool_call_duration_seconds",
    help: "MCP tool call latency",
    labelNames: ["tool"],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly paidCalls = new Counter({
    name: "ecn_paid_calls_total",
    help: "Paid calls by feature and how they resolved (settled, voided, unknown)",
    labelNames: ["feature", "outcome"],
    registers: [this.registry],
  });
  private readonly credits = new Counter({
    name: "ecn_credits_charged_total",
    help: "Credits charged to wallets",
    labelNames: ["feature"],
    registers: [this.registry],
  });
  private readonly providerCost = new Counter({
    name: "ecn_provider_cost_usd_total",
    help: "Provider cost in USD",
    labelNames: ["feature", "provider"],
    registers: [this.registry],
  });
  private readonly holdRejections = new Counter({
    name: "ecn_hold_rejections_total",
    help: "Paid calls refused at preflight, by reason",
    labelNames: ["feature", "reason"],
    registers: [this.registry],
  });
  private readonly refusals = new Counter({
    name: "ecn_refusals_total",
    help: "Tool calls and HTTP requests answered with an error code, by code (insufficient_credits, invalid_input, rate_limited, unauthorized, ...)",
    labelNames: ["code"],
    registers: [this.registry],
  });
  private readonly holdSeconds = new Histogram({
    name: "ecn_hold_duration_seconds",
    help: "Time to place a paid call's hold (one ledger transaction), by feature",
    labelNames: ["feature"],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly providerSeconds = new Histogram({
    name: "ecn_provider_request_duration_seconds",
    help: "Time of one provider request inside a paid call, by provider and operation (chat, embeddings, run)",
    labelNames: ["provider", "operation"],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly settleSeconds = new Histogram({
    name: "ecn_settle_duration_seconds",
    help: "Time to write a paid call's resolution (one ledger transaction), by outcome (settled, voided, unknown)",
    labelNames: ["outcome"],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly httpSeconds = new Histogram({
    name: "ecn_http_request_duration_seconds",
    help: "HTTP request latency by route and status",
    labelNames: ["route", "status"],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "ecn_" });
  }

  /** Reports the PostgreSQL pool: connections open and idle, requests waiting for one, failed queries. */
  watchPool(stats: () => PoolStats): void {
    new Gauge({
      name: "ecn_ledger_pool_connections",
      help: "PostgreSQL connections this process holds, by state",
      labelNames: ["state"],
      registers: [this.registry],
      collect() {
        const now = stats();
        this.set({ state: "total" }, now.total);
        this.set({ state: "idle" }, now.idle);
      },
    });
    new Gauge({
      name: "ecn_ledger_pool_waiting",
      help: "Ledger requests waiting for a PostgreSQL connection",
      registers: [this.registry],
      collect() {
        this.set(stats().waiting);
      },
    });
    new Gauge({
      name: "ecn_ledger_query_errors",
      help: "PostgreSQL queries and connections that failed since start (a counter read from the pool)",
      registers: [this.registry],
      collect() {
        this.set(stats().errors);
      },
    });
  }

  readonly observe: MeteringObserver = (event) => {
    if (event.kind === "hold_rejected") {
      this.holdRejections.inc({ feature: event.feature, reason: event.reason });
      return;
    }
    this.paidCalls.inc({ feature: event.feature, outcome: event.outcome });
    if (event.chargedMicroCredits > 0n) this.credits.inc({ feature: event.feature }, microToCredits(event.chargedMicroCredits));
    if (event.costNanoUsd > 0n) this.providerCost.inc({ feature: event.feature, provider: event.provider }, nanoToUsd(event.costNanoUsd));
  };

  readonly onToolCall = (tool: string, outcome: "ok" | "error", seconds: number, code?: string): void => {
    this.toolCalls.inc({ tool, outcome });
    this.toolSeconds.observe({ tool }, seconds);
    if (code) this.refusals.inc({ code });
  };

  /** An HTTP request answered with an error code (401, 403, 413, 429…). */
  readonly onHttpRefusal = (code: string): void => {
    this.refusals.inc({ code });
  };

  readonly timer: StepTimer = (timed, seconds) => {
    if (timed.step === "hold") this.holdSeconds.observe({ feature: timed.feature }, seconds);
    else if (timed.step === "provider") this.providerSeconds.observe({ provider: timed.provider, operation: timed.operation }, seconds);
    else this.settleSeconds.observe({ outcome: timed.outcome }, seconds);
  };
}
