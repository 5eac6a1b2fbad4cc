-- Revert tributary:tables/settings_limits
BEGIN;

ALTER TABLE tributary.settings
  DROP CONSTRAINT settings_queue_length,
  DROP CONSTRAINT settings_max_attempts_bounded,
  DROP CONSTRAINT settings_timeout_bounded,
  DROP CONSTRAINT settings_backoff_bounded,
  DROP CONSTRAINT settings_lease_bounded;

COMMIT;
