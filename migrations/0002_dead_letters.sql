CREATE TABLE `dead_letters` (
	`id` text PRIMARY KEY NOT NULL,
	`job_id` text NOT NULL,
	`user_id` text,
	`queue` text NOT NULL,
	`message_id` text NOT NULL,
	`attempts` integer NOT NULL,
	`error_code` text,
	`error_message` text,
	`stage` text NOT NULL,
	`enqueued_at` text,
	`dead_at` text NOT NULL,
	`body` text NOT NULL,
	`replayed_at` text,
	`replay_count` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `dead_letters_job_idx` ON `dead_letters` (`job_id`);--> statement-breakpoint
CREATE INDEX `dead_letters_code_idx` ON `dead_letters` (`error_code`,`dead_at`);--> statement-breakpoint
CREATE INDEX `dead_letters_dead_at_idx` ON `dead_letters` (`dead_at`);--> statement-breakpoint
ALTER TABLE `users` ADD `role` text DEFAULT 'user' NOT NULL;