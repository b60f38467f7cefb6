/**
 * Every migration under migrations/, in order. /readyz reports the database not ready until all
 * are applied; a unit test keeps this list equal to the files, so a new migration cannot be missed.
 */
export const MIGRATIONS = [
  "0000_init.sql",
  "0001_idempotency.sql",
  "0002_dead_letters.sql",
  "0003_idempotency_lease.sql",
  "0004_metrics.sql",
  "0005_feature_flags.sql",
  "0006_dead_letter_once.sql",
  "0007_api_key_scopes.sql",
  "0008_sessions.sql",
  "0009_webhooks.sql",
  "0010_webhook_secret_rotation.sql",
  "0011_uploads.sql",
  "0012_metric_units.sql",
  "0013_job_counts.sql",
  "0014_job_list_indexes.sql",
  "0015_user_limits.sql",
  "0016_job_deletion.sql",
  "0017_webhook_delivery_event_index.sql",
  "0018_admin_scope.sql",
  "0019_metric_profile.sql",
] as const;
