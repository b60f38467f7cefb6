ALTER TABLE `idempotency_keys` ADD `job_id` text;--> statement-breakpoint
ALTER TABLE `idempotency_keys` ADD `locked_until` text;