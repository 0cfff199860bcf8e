CREATE TABLE `model_prices` (
	`model` text PRIMARY KEY NOT NULL,
	`prompt_usd` text NOT NULL,
	`completion_usd` text NOT NULL,
	`request_usd` text NOT NULL,
	`max_completion_tokens` integer,
	`fetched_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `usage_events` ADD `price_unknown` integer DEFAULT false NOT NULL;