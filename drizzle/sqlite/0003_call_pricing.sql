ALTER TABLE `tool_calls` ADD `markup` text;--> statement-breakpoint
ALTER TABLE `tool_calls` ADD `credit_usd_value` text;