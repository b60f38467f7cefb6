CREATE UNIQUE INDEX `dead_letters_message_idx` ON `dead_letters` (`queue`,`message_id`);--> statement-breakpoint
CREATE INDEX `metric_events_at_idx` ON `metric_events` (`at`);