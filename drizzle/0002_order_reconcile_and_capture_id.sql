ALTER TABLE `orders` ADD `capture_request_id` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `next_check_at` integer;--> statement-breakpoint
CREATE INDEX `orders_reconcile_idx` ON `orders` (`status`,`next_check_at`);