ALTER TABLE `usage_daily` ADD `markup` text NOT NULL;--> statement-breakpoint
ALTER TABLE `usage_daily` ADD `credit_usd_value` text NOT NULL;--> statement-breakpoint
ALTER TABLE `usage_daily` ADD `below_markup_events` integer NOT NULL;--> statement-breakpoint
ALTER TABLE `usage_events` ADD `below_markup` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX `usage_events_provider_created_idx` ON `usage_events` (`provider`,`created_at`);