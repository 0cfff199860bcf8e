CREATE TABLE `connection_daily` (
	`connection_id` text NOT NULL,
	`day` integer NOT NULL,
	`calls` integer NOT NULL,
	`charged_micro_credits` integer NOT NULL,
	`metered_micro_credits` integer NOT NULL,
	PRIMARY KEY(`connection_id`, `day`),
	FOREIGN KEY (`connection_id`) REFERENCES `connections`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `connections` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`client_id` text NOT NULL,
	`client_name` text NOT NULL,
	`scope` text NOT NULL,
	`day_cap_micro_credits` integer NOT NULL,
	`grant_id` text NOT NULL,
	`signed_in_via` text NOT NULL,
	`signed_in_as` text,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `connections_grant_idx` ON `connections` (`grant_id`);--> statement-breakpoint
CREATE INDEX `connections_org_idx` ON `connections` (`org_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `members` (
	`org_id` text NOT NULL,
	`email` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`org_id`, `email`),
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `members_email_idx` ON `members` (`email`);--> statement-breakpoint
CREATE TABLE `oauth_records` (
	`model` text NOT NULL,
	`id_hash` text NOT NULL,
	`payload_json` text NOT NULL,
	`grant_id` text,
	`uid` text,
	`user_code` text,
	`expires_at` integer,
	`consumed_at` integer,
	PRIMARY KEY(`model`, `id_hash`)
);
--> statement-breakpoint
CREATE INDEX `oauth_records_grant_idx` ON `oauth_records` (`grant_id`);--> statement-breakpoint
CREATE INDEX `oauth_records_uid_idx` ON `oauth_records` (`model`,`uid`);--> statement-breakpoint
CREATE INDEX `oauth_records_expires_idx` ON `oauth_records` (`expires_at`);--> statement-breakpoint
ALTER TABLE `tool_calls` ADD `connection_id` text;--> statement-breakpoint
ALTER TABLE `tool_calls` ADD `api_key_id` text;--> statement-breakpoint
CREATE INDEX `tool_calls_open_connection_idx` ON `tool_calls` (`connection_id`) WHERE connection_id IS NOT NULL AND state IN ('held', 'dispatched', 'unknown');--> statement-breakpoint
ALTER TABLE `usage_events` ADD `connection_id` text;--> statement-breakpoint
ALTER TABLE `usage_events` ADD `api_key_id` text;