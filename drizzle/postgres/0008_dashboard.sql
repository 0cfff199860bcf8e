CREATE TABLE "dashboard_sessions" (
	"id_hash" text PRIMARY KEY NOT NULL,
	"org_id" text,
	"key_id" text,
	"created_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reconcile_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"instance_id" text,
	"finished_at" bigint NOT NULL,
	"summary_json" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "refusals_daily" (
	"org_id" text NOT NULL,
	"day" bigint NOT NULL,
	"feature" text NOT NULL,
	"code" text NOT NULL,
	"refusals" integer NOT NULL,
	CONSTRAINT "refusals_daily_org_id_day_feature_code_pk" PRIMARY KEY("org_id","day","feature","code")
);
--> statement-breakpoint
CREATE TABLE "usage_model_daily" (
	"org_id" text NOT NULL,
	"day" bigint NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"events" integer NOT NULL,
	"cost_nano_usd" bigint NOT NULL,
	"charged_micro_credits" bigint NOT NULL,
	CONSTRAINT "usage_model_daily_org_id_day_provider_model_pk" PRIMARY KEY("org_id","day","provider","model")
);
--> statement-breakpoint
ALTER TABLE "dashboard_sessions" ADD CONSTRAINT "dashboard_sessions_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refusals_daily" ADD CONSTRAINT "refusals_daily_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_model_daily" ADD CONSTRAINT "usage_model_daily_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "reconcile_runs_finished_idx" ON "reconcile_runs" USING btree ("finished_at");--> statement-breakpoint
CREATE INDEX "credit_transactions_org_other_idx" ON "credit_transactions" USING btree ("org_id","created_at") WHERE kind <> 'spend';--> statement-breakpoint
CREATE INDEX "tool_calls_org_created_idx" ON "tool_calls" USING btree ("org_id","created_at");--> statement-breakpoint
-- Rolls the events recorded before usage_model_daily existed into it (nothing to do on a fresh ledger).
INSERT INTO "usage_model_daily" ("org_id", "day", "provider", "model", "events", "cost_nano_usd", "charged_micro_credits")
SELECT org_id, settled_at - (settled_at % 86400000), provider, coalesce(model, ''), count(*), sum(cost_nano_usd), sum(charged_micro_credits)
  FROM usage_events
 GROUP BY 1, 2, 3, 4;
