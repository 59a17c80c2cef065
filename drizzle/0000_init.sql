CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`key_hash` text NOT NULL,
	`key_encrypted` text NOT NULL,
	`key_hint` text NOT NULL,
	`plan_id` text NOT NULL,
	`budget_nano` integer NOT NULL,
	`spent_nano` integer DEFAULT 0 NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`status_reason` text,
	`expires_at` integer,
	`email` text,
	`note` text,
	`show_reasoning` integer,
	`rpm_override` integer,
	`concurrency_override` integer,
	`upstream_user_id` text NOT NULL,
	`order_id` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_used_at` integer,
	FOREIGN KEY (`plan_id`) REFERENCES `plans`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash_unique` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_email_idx` ON `api_keys` (`email`);--> statement-breakpoint
CREATE INDEX `api_keys_order_idx` ON `api_keys` (`order_id`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`actor` text NOT NULL,
	`ip` text,
	`action` text NOT NULL,
	`target` text,
	`before` text,
	`after` text
);
--> statement-breakpoint
CREATE INDEX `audit_log_at_idx` ON `audit_log` (`created_at`);--> statement-breakpoint
CREATE TABLE `ledger` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`request_id` text NOT NULL,
	`key_id` text NOT NULL,
	`public_model` text NOT NULL,
	`upstream_model` text NOT NULL,
	`period` text NOT NULL,
	`cache_hit_tokens` integer NOT NULL,
	`cache_miss_tokens` integer NOT NULL,
	`output_tokens` integer NOT NULL,
	`reasoning_tokens` integer NOT NULL,
	`cache_hit_price_nano` integer NOT NULL,
	`cache_miss_price_nano` integer NOT NULL,
	`output_price_nano` integer NOT NULL,
	`cost_nano` integer NOT NULL,
	`basis` text NOT NULL,
	`http_status` integer NOT NULL,
	`finish_reason` text,
	`stream` integer NOT NULL,
	`ttfb_ms` integer,
	`duration_ms` integer NOT NULL,
	`upstream_key_id` text,
	`started_at` integer NOT NULL,
	`finished_at` integer NOT NULL,
	FOREIGN KEY (`key_id`) REFERENCES `api_keys`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_request_id_unique` ON `ledger` (`request_id`);--> statement-breakpoint
CREATE INDEX `ledger_key_started_idx` ON `ledger` (`key_id`,`started_at`);--> statement-breakpoint
CREATE TABLE `model_aliases` (
	`alias` text PRIMARY KEY NOT NULL,
	`model_id` text NOT NULL,
	`thinking` text,
	FOREIGN KEY (`model_id`) REFERENCES `models`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `models` (
	`id` text PRIMARY KEY NOT NULL,
	`display_name` text NOT NULL,
	`upstream_model` text NOT NULL,
	`thinking` text,
	`max_output_tokens` integer NOT NULL,
	`sort_order` integer DEFAULT 0 NOT NULL,
	`retired` integer DEFAULT false NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `orders` (
	`id` text PRIMARY KEY NOT NULL,
	`plan_id` text NOT NULL,
	`email` text NOT NULL,
	`amount_nano` integer NOT NULL,
	`currency` text DEFAULT 'USD' NOT NULL,
	`status` text DEFAULT 'created' NOT NULL,
	`status_reason` text,
	`paypal_order_id` text,
	`paypal_request_id` text NOT NULL,
	`view_token_hash` text NOT NULL,
	`approve_url` text,
	`key_id` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`paid_at` integer,
	FOREIGN KEY (`plan_id`) REFERENCES `plans`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`key_id`) REFERENCES `api_keys`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `orders_paypal_order_unique` ON `orders` (`paypal_order_id`);--> statement-breakpoint
CREATE INDEX `orders_status_idx` ON `orders` (`status`);--> statement-breakpoint
CREATE INDEX `orders_email_idx` ON `orders` (`email`);--> statement-breakpoint
CREATE TABLE `payments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`order_id` text NOT NULL,
	`paypal_capture_id` text NOT NULL,
	`status` text NOT NULL,
	`amount_nano` integer NOT NULL,
	`currency` text NOT NULL,
	`refunded_nano` integer DEFAULT 0 NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `payments_capture_unique` ON `payments` (`paypal_capture_id`);--> statement-breakpoint
CREATE INDEX `payments_order_idx` ON `payments` (`order_id`);--> statement-breakpoint
CREATE TABLE `plans` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`price_nano` integer NOT NULL,
	`budget_nano` integer NOT NULL,
	`models` text NOT NULL,
	`rpm` integer NOT NULL,
	`max_concurrency` integer NOT NULL,
	`validity_days` integer NOT NULL,
	`sort_order` integer DEFAULT 0 NOT NULL,
	`retired` integer DEFAULT false NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `prices` (
	`model_id` text NOT NULL,
	`period` text NOT NULL,
	`cache_hit_nano` integer NOT NULL,
	`cache_miss_nano` integer NOT NULL,
	`output_nano` integer NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	PRIMARY KEY(`model_id`, `period`),
	FOREIGN KEY (`model_id`) REFERENCES `models`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `upstream_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`label` text NOT NULL,
	`key_encrypted` text NOT NULL,
	`key_hint` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`failure_reason` text,
	`balance_text` text,
	`balance_checked_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `webhook_events` (
	`id` text PRIMARY KEY NOT NULL,
	`event_type` text NOT NULL,
	`resource_id` text,
	`order_id` text,
	`verified` integer NOT NULL,
	`result` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`processed_at` integer
);
