CREATE TABLE `tasks` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`tool_call_id` text NOT NULL,
	`tool` text NOT NULL,
	`state` text NOT NULL,
	`status_message` text,
	`ttl_ms` integer NOT NULL,
	`poll_interval_ms` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`resolved_at` integer,
	`charged_micro_credits` integer,
	`cost_nano_usd` integer,
	`error_code` text,
	`error_message` text,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`tool_call_id`) REFERENCES `tool_calls`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `tasks_org_created_idx` ON `tasks` (`org_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `tasks_call_idx` ON `tasks` (`tool_call_id`);--> statement-breakpoint
CREATE INDEX `tasks_expires_idx` ON `tasks` (`expires_at`);