/**
 * The daily rollups a resolution adds its events to, in the same transaction:
 * usage_daily per feature, deployment mode and the pricing the events were
 * charged at, usage_model_daily per provider and model. Each event counts
 * once in each rollup, however the call's events mix pricings and models.
 */
import { chargedBelowMarkup, parseDecimal } from "../../money.js";
import { runQuery, type Query } from "../script.js";
import { p, statement } from "../sql.js";
import type { ToolCallRecord, UsageEventInput } from "../types.js";

const DAY_MS = 86_400_000;

const addDaily = statement(
  "add_daily",
  `INSERT INTO usage_daily (org_id, feature, day, deployment_mode, markup, credit_usd_value, calls, events, cost_nano_usd,
     charged_micro_credits, metered_micro_credits, estimated_events, over_hold_events, below_markup_events)
   VALUES (@orgId, @feature, @day, @mode, @markup, @creditUsdValue, 1, @events, @cost, @charged, @metered, @estimated, @overHold,
     @belowMarkup)
   ON CONFLICT (org_id, day, feature, deployment_mode, markup, credit_usd_value) DO UPDATE SET
     calls = usage_daily.calls + 1, events = usage_daily.events + excluded.events,
     cost_nano_usd = usage_daily.cost_nano_usd + excluded.cost_nano_usd,
     charged_micro_credits = usage_daily.charged_micro_credits + excluded.charged_micro_credits,
     metered_micro_credits = usage_daily.metered_micro_credits + excluded.metered_micro_credits,
     estimated_events = usage_daily.estimated_events + excluded.estimated_events,
     over_hold_events = usage_daily.over_hold_events + excluded.over_hold_events,
     below_markup_events = usage_daily.below_markup_events + excluded.below_markup_events`,
  {
    orgId: p.text,
    feature: p.text,
    day: p.int,
    mode: p.text,
    markup: p.text,
    creditUsdValue: p.text,
    events: p.int,
    cost: p.money,
    charged: p.money,
    metered: p.money,
    estimated: p.int,
    overHold: p.int,
    belowMarkup: p.int,
  },
);

const addModelDaily = statement(
  "add_model_daily",
  `INSERT INTO usage_model_daily (org_id, day, provider, model, events, cost_nano_usd, charged_micro_credits)
   VALUES (@orgId, @day, @provider, @model, @events, @cost, @charged)
   ON CONFLICT (org_id, day, provider, model) DO UPDATE SET events = usage_model_daily.events + excluded.events,
     cost_nano_usd = usage_model_daily.cost_nano_usd + excluded.cost_nano_usd,
     charged_micro_credits = usage_model_daily.charged_micro_credits + excluded.charged_micro_credits`,
  { orgId: p.text, day: p.int, provider: p.text, model: p.text, events: p.int, cost: p.money, charged: p.money },
);

/** The per-model rollup's increments of one resolution: one row per provider and model its events name. */
function modelDaily(orgId: string, day: number, events: UsageEventInput[]): Query[] {
  const byModel = new Map<string, { provider: string; model: string; events: number; cost: bigint; charged: bigint }>();
  for (const e of events) {
    const model = e.model ?? "";
    const key = `${e.provider}\u0000${model}`;
    const entry = byModel.get(key) ?? { provider: e.provider, model, events: 0, cost: 0n, charged: 0n };
    entry.events += 1;
    entry.cost += e.costNanoUsd;
    entry.charged += e.chargedMicroCredits;
    byModel.set(key, entry);
  }
  // In key order, so two resolutions lock these rows in the same order (PostgreSQL): no deadlock.
  return [...byModel.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, m]) => runQuery(addModelDaily, { orgId, day, ...m }));
}

/** Charged below cost x its own markup, or below cost: only a wallet charge can be (self-hosted calls charge nothing). */
export const belowItsMarkup = (event: UsageEventInput, mode: string): boolean =>
  mode === "hosted" && chargedBelowMarkup(event.chargedMicroCredits, event.costNanoUsd, parseDecimal(event.markup), parseDecimal(event.creditUsdValue));

/**
 * The call's events grouped by the pricing they were charged at (one group, unless a caller mixed them), in key
 * order, so two resolutions lock the daily rollup's rows in the same order (PostgreSQL): no deadlock.
 */
function byPricing(events: UsageEventInput[]): UsageEventInput[][] {
  const groups = new Map<string, UsageEventInput[]>();
  for (const event of events) {
    const key = `${event.markup}|${event.creditUsdValue}`;
    groups.set(key, [...(groups.get(key) ?? []), event]);
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, group]) => group);
}

/** A connection's spend of the day: what its cap and the Connections page read. */
const addConnectionDaily = statement(
  "add_connection_daily",
  `INSERT INTO connection_daily (connection_id, day, calls, charged_micro_credits, metered_micro_credits)
   VALUES (@connectionId, @day, 1, @charged, @metered)
   ON CONFLICT (connection_id, day) DO UPDATE SET calls = connection_daily.calls + 1,
     charged_micro_credits = connection_daily.charged_micro_credits + excluded.charged_micro_credits,
     metered_micro_credits = connection_daily.metered_micro_credits + excluded.metered_micro_credits`,
  { connectionId: p.text, day: p.int, charged: p.money, metered: p.money },
);

/**
 * The rollup writes of one resolution: a usage_daily row per pricing group (its own events), then one
 * usage_model_daily row per provider and model over all the events. Each in key order, so two
 * resolutions lock the rollups' rows in the same order (PostgreSQL): no deadlock.
 */
export function rollupWrites(call: ToolCallRecord, events: UsageEventInput[], overHold: boolean, now: number): Query[] {
  const day = now - (now % DAY_MS);
  const daily = byPricing(events).map((group) =>
    runQuery(addDaily, {
      orgId: call.orgId,
      feature: call.feature,
      day,
      mode: call.deploymentMode,
      markup: group[0]!.markup,
      creditUsdValue: group[0]!.creditUsdValue,
      events: group.length,
      cost: group.reduce((total, e) => total + e.costNanoUsd, 0n),
      charged: group.reduce((total, e) => total + e.chargedMicroCredits, 0n),
      metered: group.reduce((total, e) => total + e.meteredMicroCredits, 0n),
      estimated: group.filter((e) => e.estimated).length,
      overHold: overHold ? group.length : 0,
      belowMarkup: group.filter((e) => belowItsMarkup(e, call.deploymentMode)).length,
    }),
  );
  // A connection's row only when it spent something: a voided call leaves its day as it was.
  const connection =
    call.connectionId !== null && events.length > 0
      ? [
          runQuery(addConnectionDaily, {
            connectionId: call.connectionId,
            day,
            charged: events.reduce((total, e) => total + e.chargedMicroCredits, 0n),
            metered: events.reduce((total, e) => total + e.meteredMicroCredits, 0n),
          }),
        ]
      : [];
  return [...daily, ...modelDaily(call.orgId, day, events), ...connection];
}
