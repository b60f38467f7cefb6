CREATE TABLE `metric_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`status` text,
	`error_code` text,
	`queue_wait_ms` integer,
	`processing_ms` integer,
	`attempts` integer,
	`at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `metric_events_name_at_idx` ON `metric_events` (`name`,`at`);