CREATE TABLE `job_counts` (
	`user_id` text NOT NULL,
	`status` text NOT NULL,
	`n` integer NOT NULL,
	PRIMARY KEY(`user_id`, `status`)
);
--> statement-breakpoint
-- Kept by triggers, in the transaction of each change to `jobs` (hand-written below the table).
CREATE TRIGGER `jobs_count_insert` AFTER INSERT ON `jobs` BEGIN
  INSERT OR IGNORE INTO `job_counts` (`user_id`, `status`, `n`) VALUES (NEW.`user_id`, NEW.`status`, 0);
  UPDATE `job_counts` SET `n` = `n` + 1 WHERE `user_id` = NEW.`user_id` AND `status` = NEW.`status`;
END;
--> statement-breakpoint
CREATE TRIGGER `jobs_count_status` AFTER UPDATE OF `status` ON `jobs` WHEN OLD.`status` IS NOT NEW.`status` BEGIN
  UPDATE `job_counts` SET `n` = `n` - 1 WHERE `user_id` = OLD.`user_id` AND `status` = OLD.`status`;
  INSERT OR IGNORE INTO `job_counts` (`user_id`, `status`, `n`) VALUES (NEW.`user_id`, NEW.`status`, 0);
  UPDATE `job_counts` SET `n` = `n` + 1 WHERE `user_id` = NEW.`user_id` AND `status` = NEW.`status`;
END;
--> statement-breakpoint
CREATE TRIGGER `jobs_count_delete` AFTER DELETE ON `jobs` BEGIN
  UPDATE `job_counts` SET `n` = `n` - 1 WHERE `user_id` = OLD.`user_id` AND `status` = OLD.`status`;
END;
--> statement-breakpoint
INSERT INTO `job_counts` (`user_id`, `status`, `n`) SELECT `user_id`, `status`, count(*) FROM `jobs` GROUP BY `user_id`, `status`;
