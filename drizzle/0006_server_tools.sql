CREATE TABLE `tool_prices` (
	`tool` text NOT NULL,
	`model_id` text NOT NULL,
	`peak_call_nano` integer NOT NULL,
	`off_peak_call_nano` integer NOT NULL,
	`max_calls` integer NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	PRIMARY KEY(`tool`, `model_id`)
);
--> statement-breakpoint
ALTER TABLE `ledger` ADD `web_search_calls` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `ledger` ADD `read_url_calls` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `ledger` ADD `file_parse_calls` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `ledger` ADD `server_tool_cost_nano` integer DEFAULT 0 NOT NULL;