DROP INDEX `jobs_user_status_idx`;--> statement-breakpoint
CREATE INDEX `jobs_user_status_id_idx` ON `jobs` (`user_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_user_kind_id_idx` ON `jobs` (`user_id`,`kind`,`id`);