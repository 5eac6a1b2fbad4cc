-- Deploy tributary:tables/settings_limits
-- requires: tables/settings
--
-- Bounds on the engine-wide settings, the same as on the step values they become: a queue name
-- of at most 255 characters, at most 1,000,000 attempts, and intervals of at most a year (a lease
-- or default timeout of 300,000 years made every claim fail with "timestamp out of range").
BEGIN;

ALTER TABLE tributary.settings
  ADD CONSTRAINT settings_queue_length CHECK (pg_catalog.char_length(default_queue) <= 255),
  ADD CONSTRAINT settings_max_attempts_bounded CHECK (default_max_attempts <= 1000000),
  ADD CONSTRAINT settings_timeout_bounded CHECK (default_timeout <= interval '1 year'),
  ADD CONSTRAINT settings_backoff_bounded CHECK (retry_backoff_cap <= interval '1 year'),
  ADD CONSTRAINT settings_lease_bounded CHECK (lease_duration <= interval '1 year');

COMMIT;
