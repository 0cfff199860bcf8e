CREATE TABLE `ledger_health` (
	`id` integer PRIMARY KEY NOT NULL,
	`checked_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `model_price_overrides` (
	`model` text PRIMARY KEY NOT NULL,
	`prompt_usd` text NOT NULL,
	`completion_usd` text NOT NULL,
	`request_usd` text NOT NULL,
	`note` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `model_prices` ADD `input_cache_read_usd` text DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE `model_prices` ADD `input_cache_write_usd` text DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE `model_prices` ADD `internal_reasoning_usd` text DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE `model_prices` ADD `web_search_usd` text DEFAULT '0' NOT NULL;