CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"name" text,
	"prefix" text NOT NULL,
	"key_hash" text NOT NULL,
	"created_at" bigint NOT NULL,
	"last_used_at" bigint,
	"revoked_at" bigint,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE TABLE "budget_notices" (
	"budget_id" text NOT NULL,
	"period_start" bigint NOT NULL,
	"created_at" bigint NOT NULL,
	CONSTRAINT "budget_notices_budget_id_period_start_pk" PRIMARY KEY("budget_id","period_start")
);
--> statement-breakpoint
CREATE TABLE "budgets" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"feature" text,
	"period" text NOT NULL,
	"limit_micro_credits" bigint NOT NULL,
	"hard" integer NOT NULL,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "credit_transactions" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"kind" text NOT NULL,
	"amount_micro_credits" bigint NOT NULL,
	"tool_call_id" text,
	"note" text,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "data_query_log" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"source" text NOT NULL,
	"dataset" text NOT NULL,
	"query" text NOT NULL,
	"row_count" integer NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_health" (
	"id" integer PRIMARY KEY NOT NULL,
	"checked_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_price_overrides" (
	"model" text PRIMARY KEY NOT NULL,
	"prompt_usd" text NOT NULL,
	"completion_usd" text NOT NULL,
	"request_usd" text NOT NULL,
	"note" text,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_prices" (
	"model" text PRIMARY KEY NOT NULL,
	"prompt_usd" text NOT NULL,
	"completion_usd" text NOT NULL,
	"request_usd" text NOT NULL,
	"input_cache_read_usd" text DEFAULT '0' NOT NULL,
	"input_cache_write_usd" text DEFAULT '0' NOT NULL,
	"internal_reasoning_usd" text DEFAULT '0' NOT NULL,
	"web_search_usd" text DEFAULT '0' NOT NULL,
	"max_completion_tokens" integer,
	"fetched_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "orgs" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"created_at" bigint NOT NULL,
	CONSTRAINT "orgs_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "rate_cards" (
	"feature" text PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"model" text,
	"max_tokens" integer,
	"floor_micro_credits" bigint NOT NULL,
	"description" text NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tool_calls" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"feature" text NOT NULL,
	"provider" text NOT NULL,
	"state" text NOT NULL,
	"deployment_mode" text NOT NULL,
	"hold_micro_credits" bigint NOT NULL,
	"wallet_hold_micro_credits" bigint NOT NULL,
	"idempotency_key" text,
	"request_hash" text NOT NULL,
	"markup" text,
	"credit_usd_value" text,
	"provider_refs" text DEFAULT '[]' NOT NULL,
	"result_json" text,
	"error_code" text,
	"error_message" text,
	"created_at" bigint NOT NULL,
	"dispatched_at" bigint,
	"resolved_at" bigint
);
--> statement-breakpoint
CREATE TABLE "usage_daily" (
	"org_id" text NOT NULL,
	"feature" text NOT NULL,
	"day" bigint NOT NULL,
	"deployment_mode" text NOT NULL,
	"calls" integer NOT NULL,
	"events" integer NOT NULL,
	"cost_nano_usd" bigint NOT NULL,
	"charged_micro_credits" bigint NOT NULL,
	"metered_micro_credits" bigint NOT NULL,
	"estimated_events" integer NOT NULL,
	"over_hold_events" integer NOT NULL,
	CONSTRAINT "usage_daily_org_id_day_feature_deployment_mode_pk" PRIMARY KEY("org_id","day","feature","deployment_mode")
);
--> statement-breakpoint
CREATE TABLE "usage_events" (
	"id" text PRIMARY KEY NOT NULL,
	"tool_call_id" text NOT NULL,
	"org_id" text NOT NULL,
	"feature" text NOT NULL,
	"provider" text NOT NULL,
	"model" text,
	"provider_request_id" text,
	"outcome" text NOT NULL,
	"prompt_tokens" integer,
	"completion_tokens" integer,
	"total_tokens" integer,
	"cost_nano_usd" bigint NOT NULL,
	"cost_source" text NOT NULL,
	"markup" text NOT NULL,
	"credit_usd_value" text NOT NULL,
	"charged_micro_credits" bigint NOT NULL,
	"metered_micro_credits" bigint NOT NULL,
	"over_hold" integer DEFAULT 0 NOT NULL,
	"estimated" integer DEFAULT 0 NOT NULL,
	"price_unknown" integer DEFAULT 0 NOT NULL,
	"created_at" bigint NOT NULL,
	"settled_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "wallets" (
	"org_id" text PRIMARY KEY NOT NULL,
	"balance_micro_credits" bigint DEFAULT 0 NOT NULL,
	"held_micro_credits" bigint DEFAULT 0 NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budget_notices" ADD CONSTRAINT "budget_notices_budget_id_budgets_id_fk" FOREIGN KEY ("budget_id") REFERENCES "public"."budgets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credit_transactions" ADD CONSTRAINT "credit_transactions_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credit_transactions" ADD CONSTRAINT "credit_transactions_tool_call_id_tool_calls_id_fk" FOREIGN KEY ("tool_call_id") REFERENCES "public"."tool_calls"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "data_query_log" ADD CONSTRAINT "data_query_log_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tool_calls" ADD CONSTRAINT "tool_calls_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_daily" ADD CONSTRAINT "usage_daily_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_events" ADD CONSTRAINT "usage_events_tool_call_id_tool_calls_id_fk" FOREIGN KEY ("tool_call_id") REFERENCES "public"."tool_calls"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_events" ADD CONSTRAINT "usage_events_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "wallets" ADD CONSTRAINT "wallets_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_keys_org_idx" ON "api_keys" USING btree ("org_id");--> statement-breakpoint
CREATE INDEX "budgets_org_idx" ON "budgets" USING btree ("org_id");--> statement-breakpoint
CREATE INDEX "credit_transactions_org_idx" ON "credit_transactions" USING btree ("org_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "credit_transactions_one_spend_per_call" ON "credit_transactions" USING btree ("tool_call_id") WHERE kind = 'spend';--> statement-breakpoint
CREATE INDEX "data_query_log_org_idx" ON "data_query_log" USING btree ("org_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "tool_calls_idempotency" ON "tool_calls" USING btree ("org_id","idempotency_key") WHERE idempotency_key IS NOT NULL AND state <> 'voided';--> statement-breakpoint
CREATE INDEX "tool_calls_open_idx" ON "tool_calls" USING btree ("org_id","feature") WHERE state IN ('held', 'dispatched', 'unknown');--> statement-breakpoint
CREATE INDEX "usage_events_settled_idx" ON "usage_events" USING btree ("settled_at");--> statement-breakpoint
CREATE INDEX "usage_events_org_settled_idx" ON "usage_events" USING btree ("org_id","settled_at");--> statement-breakpoint
CREATE INDEX "usage_events_org_feature_settled_idx" ON "usage_events" USING btree ("org_id","feature","settled_at");--> statement-breakpoint
CREATE INDEX "usage_events_call_idx" ON "usage_events" USING btree ("tool_call_id");