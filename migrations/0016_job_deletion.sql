CREATE TABLE `deleted_job_usage` (
	`job_id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`created_at` text NOT NULL,
	`pages` integer,
	`duration_s` real
);
--> statement-breakpoint
CREATE INDEX `deleted_job_usage_user_idx` ON `deleted_job_usage` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `jobs_status_updated_idx` ON `jobs` (`status`,`updated_at`);