CREATE TABLE `provider_usage_snapshots` (
	`id` text PRIMARY KEY NOT NULL,
	`provider` text NOT NULL,
	`taken_at` integer NOT NULL,
	`usage_nano_usd` integer NOT NULL,
	`reason` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `provider_usage_snapshots_taken_idx` ON `provider_usage_snapshots` (`provider`,`taken_at`);