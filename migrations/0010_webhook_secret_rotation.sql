ALTER TABLE `webhook_endpoints` ADD `previous_secret_enc` text;--> statement-breakpoint
ALTER TABLE `webhook_endpoints` ADD `previous_secret_until` text;