CREATE TABLE `alert_settings` (
	`org_id` text PRIMARY KEY NOT NULL,
	`balance_pcts` text NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `alert_states` (
	`org_id` text NOT NULL,
	`key` text NOT NULL,
	`fired_at` integer NOT NULL,
	PRIMARY KEY(`org_id`, `key`),
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `billing_events` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`type` text NOT NULL,
	`payload` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `billing_events_org_idx` ON `billing_events` (`org_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `billing_signals` (
	`org_id` text NOT NULL,
	`key` text NOT NULL,
	`kind` text NOT NULL,
	`data_json` text NOT NULL,
	`created_at` integer NOT NULL,
	`processed_at` integer,
	PRIMARY KEY(`org_id`, `key`),
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `billing_signals_pending_idx` ON `billing_signals` (`created_at`) WHERE processed_at IS NULL;--> statement-breakpoint
CREATE TABLE `checkout_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`pack` text NOT NULL,
	`micro_credits` integer NOT NULL,
	`usd_cents` integer NOT NULL,
	`session_id` text,
	`url` text,
	`status` text NOT NULL,
	`payment_intent` text,
	`created_at` integer NOT NULL,
	`completed_at` integer,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `checkout_sessions_session_id_unique` ON `checkout_sessions` (`session_id`);--> statement-breakpoint
CREATE INDEX `checkout_sessions_org_idx` ON `checkout_sessions` (`org_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `credit_packs` (
	`name` text PRIMARY KEY NOT NULL,
	`micro_credits` integer NOT NULL,
	`usd_cents` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `payments` (
	`payment_intent` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`source` text NOT NULL,
	`source_id` text NOT NULL,
	`micro_credits` integer NOT NULL,
	`usd_cents` integer NOT NULL,
	`refunded_cents` integer NOT NULL,
	`disputed_cents` integer NOT NULL,
	`clawed_back_micro_credits` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `payments_org_idx` ON `payments` (`org_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `recharge_attempts` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`crossing` text NOT NULL,
	`micro_credits` integer NOT NULL,
	`usd_cents` integer NOT NULL,
	`status` text NOT NULL,
	`payment_intent` text,
	`error` text,
	`lease_until` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `recharge_attempts_crossing_unique` ON `recharge_attempts` (`crossing`);--> statement-breakpoint
CREATE UNIQUE INDEX `recharge_attempts_payment_intent_unique` ON `recharge_attempts` (`payment_intent`);--> statement-breakpoint
CREATE INDEX `recharge_attempts_org_idx` ON `recharge_attempts` (`org_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `recharge_rules` (
	`org_id` text PRIMARY KEY NOT NULL,
	`below_micro_credits` integer NOT NULL,
	`target_micro_credits` integer NOT NULL,
	`max_month_usd_cents` integer NOT NULL,
	`enabled` integer NOT NULL,
	`disabled_reason` text,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `stripe_customers` (
	`org_id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`payment_method_id` text,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `stripe_customers_customer_id_unique` ON `stripe_customers` (`customer_id`);--> statement-breakpoint
CREATE TABLE `stripe_events` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `webhook_endpoints` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`url` text NOT NULL,
	`secret` text NOT NULL,
	`created_at` integer NOT NULL,
	`removed_at` integer,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `webhook_endpoints_org_idx` ON `webhook_endpoints` (`org_id`);--> statement-breakpoint
CREATE TABLE `webhook_outbox` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`endpoint_id` text NOT NULL,
	`org_id` text NOT NULL,
	`attempts` integer NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`lease_until` integer,
	`lease_owner` text,
	`delivered_at` integer,
	`failed_at` integer,
	`last_status` integer,
	`last_error` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`event_id`) REFERENCES `billing_events`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`endpoint_id`) REFERENCES `webhook_endpoints`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `webhook_outbox_due_idx` ON `webhook_outbox` (`next_attempt_at`) WHERE delivered_at IS NULL AND failed_at IS NULL;--> statement-breakpoint
CREATE INDEX `webhook_outbox_org_idx` ON `webhook_outbox` (`org_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `credit_transactions` ADD `external_ref` text;--> statement-breakpoint
CREATE UNIQUE INDEX `credit_transactions_external_ref` ON `credit_transactions` (`external_ref`) WHERE external_ref IS NOT NULL;--> statement-breakpoint
ALTER TABLE `wallets` ADD `watch_below_micro_credits` integer;--> statement-breakpoint
ALTER TABLE `wallets` ADD `watch_epoch` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `wallets` ADD `topup_micro_credits` integer DEFAULT 0 NOT NULL;