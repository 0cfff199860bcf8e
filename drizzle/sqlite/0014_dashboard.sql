CREATE TABLE `dashboard_sessions` (
	`id_hash` text PRIMARY KEY NOT NULL,
	`org_id` text,
	`key_id` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `reconcile_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`source` text NOT NULL,
	`instance_id` text,
	`finished_at` integer NOT NULL,
	`summary_json` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `reconcile_runs_finished_idx` ON `reconcile_runs` (`finished_at`);--> statement-breakpoint
CREATE TABLE `refusals_daily` (
	`org_id` text NOT NULL,
	`day` integer NOT NULL,
	`feature` text NOT NULL,
	`code` text NOT NULL,
	`refusals` integer NOT NULL,
	PRIMARY KEY(`org_id`, `day`, `feature`, `code`),
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `usage_model_daily` (
	`org_id` text NOT NULL,
	`day` integer NOT NULL,
	`provider` text NOT NULL,
	`model` text NOT NULL,
	`events` integer NOT NULL,
	`cost_nano_usd` integer NOT NULL,
	`charged_micro_credits` integer NOT NULL,
	PRIMARY KEY(`org_id`, `day`, `provider`, `model`),
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `credit_transactions_org_other_idx` ON `credit_transactions` (`org_id`,`created_at`) WHERE kind <> 'spend';--> statement-breakpoint
CREATE INDEX `tool_calls_org_created_idx` ON `tool_calls` (`org_id`,`created_at`);--> statement-breakpoint
-- Rolls the events recorded before usage_model_daily existed into it (nothing to do on a fresh ledger).
INSERT INTO `usage_model_daily` (`org_id`, `day`, `provider`, `model`, `events`, `cost_nano_usd`, `charged_micro_credits`)
SELECT org_id, settled_at - (settled_at % 86400000), provider, coalesce(model, ''), count(*), sum(cost_nano_usd), sum(charged_micro_credits)
  FROM usage_events
 GROUP BY 1, 2, 3, 4;
