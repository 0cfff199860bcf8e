CREATE TABLE `usage_daily` (
	`org_id` text NOT NULL,
	`feature` text NOT NULL,
	`day` integer NOT NULL,
	`deployment_mode` text NOT NULL,
	`calls` integer NOT NULL,
	`events` integer NOT NULL,
	`cost_nano_usd` integer NOT NULL,
	`charged_micro_credits` integer NOT NULL,
	`metered_micro_credits` integer NOT NULL,
	`estimated_events` integer NOT NULL,
	`over_hold_events` integer NOT NULL,
	PRIMARY KEY(`org_id`, `day`, `feature`, `deployment_mode`),
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `usage_events_settled_idx` ON `usage_events` (`settled_at`);