CREATE TABLE `feature_flags` (
	`name` text PRIMARY KEY NOT NULL,
	`enabled` integer NOT NULL,
	`rollout_percent` integer NOT NULL,
	`updated_at` text NOT NULL
);
