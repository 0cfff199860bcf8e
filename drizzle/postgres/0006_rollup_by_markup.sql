ALTER TABLE "usage_daily" DROP CONSTRAINT "usage_daily_org_id_day_feature_deployment_mode_pk";--> statement-breakpoint
ALTER TABLE "usage_daily" ADD CONSTRAINT "usage_daily_org_id_day_feature_deployment_mode_markup_credit_usd_value_pk" PRIMARY KEY("org_id","day","feature","deployment_mode","markup","credit_usd_value");--> statement-breakpoint
-- Backfill, events: which were charged below cost x their own markup, or below cost, judged exactly
-- in numeric: charged x credit value (micro-credits x USD x 1000 = nano-USD) against cost x max(markup, 1).
-- Only hosted calls charge a wallet. Every path of the metering core charges ceil(cost x markup /
-- credit value) (the ledger's invariants check it), so on a ledger only this server wrote nothing is
-- found; rows written by hand or by other tools may be.
UPDATE "usage_events" e SET "below_markup" = 1
  FROM "tool_calls" c
 WHERE c."id" = e."tool_call_id" AND c."deployment_mode" = 'hosted'
   AND e."charged_micro_credits"::numeric * e."credit_usd_value"::numeric * 1000
       < e."cost_nano_usd"::numeric * greatest(e."markup"::numeric, 1);
--> statement-breakpoint
-- Backfill, rollup: rebuilt from the events (emptied by migration 0004), now per markup and credit
-- value. The same rollup is what src/ledger/core/invariants.ts checks usage_daily against.
INSERT INTO "usage_daily" ("org_id", "feature", "day", "deployment_mode", "markup", "credit_usd_value", "calls", "events",
                           "cost_nano_usd", "charged_micro_credits", "metered_micro_credits", "estimated_events",
                           "over_hold_events", "below_markup_events")
SELECT e.org_id, e.feature, e.settled_at - (e.settled_at % 86400000), c.deployment_mode, e.markup, e.credit_usd_value,
       count(DISTINCT e.tool_call_id), count(*), sum(e.cost_nano_usd), sum(e.charged_micro_credits),
       sum(e.metered_micro_credits), sum(e.estimated), sum(e.over_hold), sum(e.below_markup)
  FROM usage_events e JOIN tool_calls c ON c.id = e.tool_call_id
 GROUP BY 1, 2, 3, 4, 5, 6;
