/**
 * Read side of the money: wallet and rate card as every interface shows them
 * (MCP tools, the REST API, the CLI's --json), built in one place so the
 * three never disagree.
 */
import { EcnError } from "../errors.js";
import type { Feature, PaidProvider } from "../features.js";
import type { Ledger, TaskRecord, UsageEventRecord } from "../ledger/index.js";
import { taskStatusMessage } from "../tasks/view.js";
import { formatDecimal, microToCredits, nanoToUsd } from "../money.js";
import type { PricingConfig } from "../metering/pricing.js";

export interface WalletView {
  org_id: string;
  balance_credits: number;
  held_credits: number;
  available_credits: number;
  credit_usd_value: number;
  deployment_mode: PricingConfig["deploymentMode"];
}

export interface RateCardView {
  rate_cards: {
    feature: Feature;
    provider: PaidProvider;
    model: string | null;
    max_tokens: number | null;
    floor_credits: number;
    description: string;
  }[];
  markup: number;
  credit_usd_value: number;
}

export interface UsageEventView {
  id: string;
  tool_call_id: string;
  feature: Feature;
  provider: PaidProvider;
  model: string | null;
  provider_request_id: string | null;
  outcome: "ok" | "failed";
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cost_usd: number;
  credits_charged: number;
  over_hold: boolean;
  estimated: boolean;
  settled_at: string;
}

/** An MCP task whose run is still going (or stopping after a cancel). */
export interface OpenTaskView {
  task_id: string;
  tool: string;
  status: TaskRecord["state"];
  status_message: string | null;
  tool_call_id: string;
  created_at: string;
  last_updated_at: string;
}

export interface UsageView {
  org_id: string;
  events: UsageEventView[];
  totals: { feature: Feature; events: number; cost_usd: number; credits_charged: number }[];
  open_tasks: OpenTaskView[];
}

export function openTaskView(task: TaskRecord): OpenTaskView {
  return {
    task_id: task.id,
    tool: task.tool,
    status: task.state,
    status_message: taskStatusMessage(task) ?? null,
    tool_call_id: task.toolCallId,
    created_at: new Date(task.createdAt).toISOString(),
    last_updated_at: new Date(task.updatedAt).toISOString(),
  };
}

export function usageEventView(e: UsageEventRecord): UsageEventView {
  return {
    id: e.id,
    tool_call_id: e.toolCallId,
    feature: e.feature,
    provider: e.provider,
    model: e.model,
    provider_request_id: e.providerRequestId,
    outcome: e.outcome,
    prompt_tokens: e.promptTokens,
    completion_tokens: e.completionTokens,
    cost_usd: nanoToUsd(e.costNanoUsd),
    credits_charged: microToCredits(e.chargedMicroCredits),
    over_hold: e.overHold,
    estimated: e.estimated,
    settled_at: new Date(e.settledAt).toISOString(),
  };
}

/** Open tasks shown at most (the oldest beyond are left out). */
const OPEN_TASKS = 50;

export class Accounts {
  constructor(
    private readonly ledger: Ledger,
    private readonly pricing: PricingConfig,
  ) {}

  async wallet(orgId: string): Promise<WalletView> {
    const wallet = await this.ledger.getWallet(orgId);
    return {
      org_id: orgId,
      balance_credits: microToCredits(wallet.balanceMicroCredits),
      held_credits: microToCredits(wallet.heldMicroCredits),
      available_credits: microToCredits(wallet.balanceMicroCredits - wallet.heldMicroCredits),
      credit_usd_value: Number(formatDecimal(this.pricing.creditUsdValue)),
      deployment_mode: this.pricing.deploymentMode,
    };
  }

  /** Recent usage events (newest first), per-feature totals over the same window, and the tasks still running. */
  async usage(orgId: string, filter: { since?: number; feature?: Feature; limit: number }): Promise<UsageView> {
    const [events, allTotals, open] = await Promise.all([
      this.ledger.recentUsage({ orgId, ...filter }),
      this.ledger.featureTotals(orgId, filter.since),
      this.openTasks(orgId),
    ]);
    const totals = allTotals.filter((t) => !filter.feature || t.feature === filter.feature);
    return {
      org_id: orgId,
      events: events.map(usageEventView),
      totals: totals.map((t) => ({
        feature: t.feature,
        events: t.events,
        cost_usd: nanoToUsd(t.costNanoUsd),
        credits_charged: microToCredits(t.chargedMicroCredits),
      })),
      open_tasks: open.map(openTaskView),
    };
  }

  /** The organisation's MCP tasks whose run is still going, newest first. */
  openTasks(orgId: string, limit = OPEN_TASKS): Promise<TaskRecord[]> {
    return this.ledger.listTasks({ orgId, now: Date.now(), limit, openOnly: true });
  }

  /**
   * One page of usage events, newest first. The cursor is opaque to clients:
   * the position of the last event of the previous page.
   */
  async usagePage(
    orgId: string,
    filter: { since?: number; until?: number; feature?: Feature; limit: number; cursor?: string },
  ): Promise<{ org_id: string; events: UsageEventView[]; next_cursor: string | null }> {
    const before = filter.cursor ? decodeCursor(filter.cursor) : undefined;
    const events = await this.ledger.recentUsage({
      orgId,
      limit: filter.limit + 1,
      ...(filter.since !== undefined ? { since: filter.since } : {}),
      ...(filter.until !== undefined ? { until: filter.until } : {}),
      ...(filter.feature ? { feature: filter.feature } : {}),
      ...(before ? { before } : {}),
    });
    const page = events.slice(0, filter.limit);
    const last = page.at(-1);
    const more = events.length > filter.limit && last;
    return {
      org_id: orgId,
      events: page.map(usageEventView),
      next_cursor: more ? Buffer.from(`${last.settledAt}:${last.id}`).toString("base64url") : null,
    };
  }

  async rateCard(): Promise<RateCardView> {
    const cards = await this.ledger.listRateCards();
    return {
      rate_cards: cards.map((card) => ({
        feature: card.feature,
        provider: card.provider,
        model: card.model,
        max_tokens: card.maxTokens,
        floor_credits: microToCredits(card.floorMicroCredits),
        description: card.description,
      })),
      markup: Number(formatDecimal(this.pricing.markup)),
      credit_usd_value: Number(formatDecimal(this.pricing.creditUsdValue)),
    };
  }
}

function decodeCursor(cursor: string): { settledAt: number; id: string } {
  const match = /^(\d{1,15}):([\w-]{1,64})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!match) throw new EcnError("invalid_input", "cursor is not one this server handed out");
  return { settledAt: Number(match[1]), id: match[2]! };
}
