CREATE TABLE "connection_daily" (
	"connection_id" text NOT NULL,
	"day" bigint NOT NULL,
	"calls" integer NOT NULL,
	"charged_micro_credits" bigint NOT NULL,
	"metered_micro_credits" bigint NOT NULL,
	CONSTRAINT "connection_daily_connection_id_day_pk" PRIMARY KEY("connection_id","day")
);
--> statement-breakpoint
CREATE TABLE "connections" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"client_id" text NOT NULL,
	"client_name" text NOT NULL,
	"scope" text NOT NULL,
	"day_cap_micro_credits" bigint NOT NULL,
	"grant_id" text NOT NULL,
	"signed_in_via" text NOT NULL,
	"signed_in_as" text,
	"created_at" bigint NOT NULL,
	"last_used_at" bigint,
	"revoked_at" bigint
);
--> statement-breakpoint
CREATE TABLE "members" (
	"org_id" text NOT NULL,
	"email" text NOT NULL,
	"created_at" bigint NOT NULL,
	CONSTRAINT "members_org_id_email_pk" PRIMARY KEY("org_id","email")
);
--> statement-breakpoint
CREATE TABLE "oauth_records" (
	"model" text NOT NULL,
	"id_hash" text NOT NULL,
	"payload_json" text NOT NULL,
	"grant_id" text,
	"uid" text,
	"user_code" text,
	"expires_at" bigint,
	"consumed_at" bigint,
	CONSTRAINT "oauth_records_model_id_hash_pk" PRIMARY KEY("model","id_hash")
);
--> statement-breakpoint
ALTER TABLE "tool_calls" ADD COLUMN "connection_id" text;--> statement-breakpoint
ALTER TABLE "tool_calls" ADD COLUMN "api_key_id" text;--> statement-breakpoint
ALTER TABLE "usage_events" ADD COLUMN "connection_id" text;--> statement-breakpoint
ALTER TABLE "usage_events" ADD COLUMN "api_key_id" text;--> statement-breakpoint
ALTER TABLE "connection_daily" ADD CONSTRAINT "connection_daily_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "connections" ADD CONSTRAINT "connections_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "members" ADD CONSTRAINT "members_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "connections_grant_idx" ON "connections" USING btree ("grant_id");--> statement-breakpoint
CREATE INDEX "connections_org_idx" ON "connections" USING btree ("org_id","created_at");--> statement-breakpoint
CREATE INDEX "members_email_idx" ON "members" USING btree ("email");--> statement-breakpoint
CREATE INDEX "oauth_records_grant_idx" ON "oauth_records" USING btree ("grant_id");--> statement-breakpoint
CREATE INDEX "oauth_records_uid_idx" ON "oauth_records" USING btree ("model","uid");--> statement-breakpoint
CREATE INDEX "oauth_records_expires_idx" ON "oauth_records" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "tool_calls_open_connection_idx" ON "tool_calls" USING btree ("connection_id") WHERE connection_id IS NOT NULL AND state IN ('held', 'dispatched', 'unknown');