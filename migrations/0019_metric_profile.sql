-- What each ended job's file was (pdf, image, audio, video): estimates keep a curve per profile.
ALTER TABLE `metric_events` ADD `profile` text;
