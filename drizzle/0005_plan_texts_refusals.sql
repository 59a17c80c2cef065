CREATE TABLE `refusals` (
	`key_id` text NOT NULL,
	`date` text NOT NULL,
	`reason` text NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`key_id`, `date`, `reason`),
	FOREIGN KEY (`key_id`) REFERENCES `api_keys`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `refusals_date_idx` ON `refusals` (`date`);--> statement-breakpoint
ALTER TABLE `plans` ADD `name_zh` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `plans` ADD `description_zh` text DEFAULT '' NOT NULL;