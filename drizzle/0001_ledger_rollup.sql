CREATE TABLE `ledger_daily` (
	`key_id` text NOT NULL,
	`date` text NOT NULL,
	`public_model` text NOT NULL,
	`period` text NOT NULL,
	`requests` integer NOT NULL,
	`errors` integer NOT NULL,
	`cache_hit_tokens` integer NOT NULL,
	`cache_miss_tokens` integer NOT NULL,
	`output_tokens` integer NOT NULL,
	`reasoning_tokens` integer NOT NULL,
	`cost_nano` integer NOT NULL,
	PRIMARY KEY(`key_id`, `date`, `public_model`, `period`),
	FOREIGN KEY (`key_id`) REFERENCES `api_keys`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `ledger_daily_date_idx` ON `ledger_daily` (`date`);--> statement-breakpoint
CREATE INDEX `ledger_started_idx` ON `ledger` (`started_at`);