PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_usage_daily` (
	`org_id` text NOT NULL,
	`feature` text NOT NULL,
	`day` integer NOT NULL,
	`deployment_mode` text NOT NULL,
	`markup` text NOT NULL,
	`credit_usd_value` text NOT NULL,
	`calls` integer NOT NULL,
	`events` integer NOT NULL,
	`cost_nano_usd` integer NOT NULL,
	`charged_micro_credits` integer NOT NULL,
	`metered_micro_credits` integer NOT NULL,
	`estimated_events` integer NOT NULL,
	`over_hold_events` integer NOT NULL,
	`below_markup_events` integer NOT NULL,
	PRIMARY KEY(`org_id`, `day`, `feature`, `deployment_mode`, `markup`, `credit_usd_value`),
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_usage_daily`("org_id", "feature", "day", "deployment_mode", "markup", "credit_usd_value", "calls", "events", "cost_nano_usd", "charged_micro_credits", "metered_micro_credits", "estimated_events", "over_hold_events", "below_markup_events") SELECT "org_id", "feature", "day", "deployment_mode", "markup", "credit_usd_value", "calls", "events", "cost_nano_usd", "charged_micro_credits", "metered_micro_credits", "estimated_events", "over_hold_events", "below_markup_events" FROM `usage_daily`;--> statement-breakpoint
DROP TABLE `usage_daily`;--> statement-breakpoint
ALTER TABLE `__new_usage_daily` RENAME TO `usage_daily`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
-- Backfill, events: which were charged below cost x their own markup, or below cost, judged exactly
-- in integers: charged x credit value (micro-credits x USD x 1000 = nano-USD) against cost x max(markup, 1),
-- the decimal texts read as units / 10^scale. Only hosted calls charge a wallet. Every path of the
-- metering core charges ceil(cost x markup / credit value) (the ledger's invariants check it), so on a
-- ledger only this server wrote nothing is found; rows written by hand or by other tools may be.
UPDATE `usage_events` SET `below_markup` = 1
 WHERE `tool_call_id` IN (SELECT `id` FROM `tool_calls` WHERE `deployment_mode` = 'hosted')
   AND (`charged_micro_credits` * CAST(replace(`credit_usd_value`, '.', '') AS INTEGER) * 1000
          * CAST('1' || substr('000000000000000000', 1, CASE WHEN instr(`markup`, '.') > 0 THEN length(`markup`) - instr(`markup`, '.') ELSE 0 END) AS INTEGER)
        < `cost_nano_usd` * CAST(replace(`markup`, '.', '') AS INTEGER)
          * CAST('1' || substr('000000000000000000', 1, CASE WHEN instr(`credit_usd_value`, '.') > 0 THEN length(`credit_usd_value`) - instr(`credit_usd_value`, '.') ELSE 0 END) AS INTEGER)
     OR `charged_micro_credits` * CAST(replace(`credit_usd_value`, '.', '') AS INTEGER) * 1000
        < `cost_nano_usd`
          * CAST('1' || substr('000000000000000000', 1, CASE WHEN instr(`credit_usd_value`, '.') > 0 THEN length(`credit_usd_value`) - instr(`credit_usd_value`, '.') ELSE 0 END) AS INTEGER));
--> statement-breakpoint
-- Backfill, rollup: rebuilt from the events (emptied by migration 0010), now per markup and
-- credit value. The same rollup is what src/ledger/core/invariants.ts checks usage_daily against.
INSERT INTO `usage_daily` (`org_id`, `feature`, `day`, `deployment_mode`, `markup`, `credit_usd_value`, `calls`, `events`,
                           `cost_nano_usd`, `charged_micro_credits`, `metered_micro_credits`, `estimated_events`,
                           `over_hold_events`, `below_markup_events`)
SELECT e.org_id, e.feature, e.settled_at - (e.settled_at % 86400000), c.deployment_mode, e.markup, e.credit_usd_value,
       count(DISTINCT e.tool_call_id), count(*), sum(e.cost_nano_usd), sum(e.charged_micro_credits),
       sum(e.metered_micro_credits), sum(e.estimated), sum(e.over_hold), sum(e.below_markup)
  FROM usage_events e JOIN tool_calls c ON c.id = e.tool_call_id
 GROUP BY 1, 2, 3, 4, 5, 6;
