/**
 * Prometheus metrics (prom-client): paid calls by feature and outcome,
 * credits charged, provider cost, hold rejections, tool and HTTP latency,
 * and, on the PostgreSQL store, the connection pool. Fed by the metering
 * core's observer, the MCP server's tool hook and the pool's own counts.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { PoolStats } from "../../ledger/index.js";
import type { MeteringObserver } from "../../metering/types.js";
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

  readonly onToolCall = (tool: string, outcome: "ok" | "error", seconds: number): void => {
    this.toolCalls.inc({ tool, outcome });
    this.toolSeconds.observe({ tool }, seconds);
  };
}
