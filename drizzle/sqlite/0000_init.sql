CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text,
	`prefix` text NOT NULL,
	`key_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash_unique` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_org_idx` ON `api_keys` (`org_id`);--> statement-breakpoint
CREATE TABLE `budget_notices` (
	`budget_id` text NOT NULL,
	`period_start` integer NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`budget_id`, `period_start`),
	FOREIGN KEY (`budget_id`) REFERENCES `budgets`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `budgets` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`feature` text,
	`period` text NOT NULL,
	`limit_micro_credits` integer NOT NULL,
	`hard` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `budgets_org_idx` ON `budgets` (`org_id`);--> statement-breakpoint
CREATE TABLE `credit_transactions` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`kind` text NOT NULL,
	`amount_micro_credits` integer NOT NULL,
	`tool_call_id` text,
	`note` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`tool_call_id`) REFERENCES `tool_calls`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `credit_transactions_org_idx` ON `credit_transactions` (`org_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `credit_transactions_one_spend_per_call` ON `credit_transactions` (`tool_call_id`) WHERE kind = 'spend';--> statement-breakpoint
CREATE TABLE `data_query_log` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`source` text NOT NULL,
	`dataset` text NOT NULL,
	`query` text NOT NULL,
	`row_count` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `data_query_log_org_idx` ON `data_query_log` (`org_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `orgs` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `orgs_name_unique` ON `orgs` (`name`);--> statement-breakpoint
CREATE TABLE `rate_cards` (
	`feature` text PRIMARY KEY NOT NULL,
	`provider` text NOT NULL,
	`model` text,
	`max_tokens` integer,
	`floor_micro_credits` integer NOT NULL,
	`description` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `tool_calls` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`feature` text NOT NULL,
	`provider` text NOT NULL,
	`state` text NOT NULL,
	`deployment_mode` text NOT NULL,
	`hold_micro_credits` integer NOT NULL,
	`wallet_hold_micro_credits` integer NOT NULL,
	`idempotency_key` text,
	`request_hash` text NOT NULL,
	`provider_refs` text DEFAULT '[]' NOT NULL,
	`result_json` text,
	`error_code` text,
	`error_message` text,
	`created_at` integer NOT NULL,
	`dispatched_at` integer,
	`resolved_at` integer,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tool_calls_idempotency` ON `tool_calls` (`org_id`,`idempotency_key`) WHERE idempotency_key IS NOT NULL AND state <> 'voided';--> statement-breakpoint
CREATE INDEX `tool_calls_open_idx` ON `tool_calls` (`org_id`,`feature`) WHERE state IN ('held', 'dispatched', 'unknown');--> statement-breakpoint
CREATE TABLE `usage_events` (
	`id` text PRIMARY KEY NOT NULL,
	`tool_call_id` text NOT NULL,
	`org_id` text NOT NULL,
	`feature` text NOT NULL,
	`provider` text NOT NULL,
	`model` text,
	`provider_request_id` text,
	`outcome` text NOT NULL,
	`prompt_tokens` integer,
	`completion_tokens` integer,
	`total_tokens` integer,
	`cost_nano_usd` integer NOT NULL,
	`cost_source` text NOT NULL,
	`markup` text NOT NULL,
	`credit_usd_value` text NOT NULL,
	`charged_micro_credits` integer NOT NULL,
	`metered_micro_credits` integer NOT NULL,
	`over_hold` integer DEFAULT false NOT NULL,
	`estimated` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`settled_at` integer NOT NULL,
	FOREIGN KEY (`tool_call_id`) REFERENCES `tool_calls`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `usage_events_org_settled_idx` ON `usage_events` (`org_id`,`settled_at`);--> statement-breakpoint
CREATE INDEX `usage_events_org_feature_settled_idx` ON `usage_events` (`org_id`,`feature`,`settled_at`);--> statement-breakpoint
CREATE INDEX `usage_events_call_idx` ON `usage_events` (`tool_call_id`);--> statement-breakpoint
CREATE TABLE `wallets` (
	`org_id` text PRIMARY KEY NOT NULL,
	`balance_micro_credits` integer DEFAULT 0 NOT NULL,
	`held_micro_credits` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
