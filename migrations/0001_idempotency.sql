CREATE TABLE `idempotency_keys` (
	`user_id` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`state` text NOT NULL,
	`response_status` integer,
	`response_body` text,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	PRIMARY KEY(`user_id`, `key`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_expiry_idx` ON `idempotency_keys` (`expires_at`);--> statement-breakpoint
ALTER TABLE `jobs` ADD `file_sha256` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX `jobs_user_sha256_idx` ON `jobs` (`user_id`,`file_sha256`);