ALTER TABLE "usage_daily" ADD COLUMN "markup" text NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_daily" ADD COLUMN "credit_usd_value" text NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_daily" ADD COLUMN "below_markup_events" integer NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_events" ADD COLUMN "below_markup" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "usage_events_provider_created_idx" ON "usage_events" USING btree ("provider","created_at");