-- Deploy tributary:tables/settings
-- requires: tables/settings@v0.1.0
--
-- One name per idea: the default of the step option retry_backoff is default_retry_backoff, like
-- default_queue, default_priority, default_max_attempts and default_timeout (it was
-- retry_backoff_base). Constraints and defaults that read the column follow the rename.
BEGIN;

ALTER TABLE tributary.settings RENAME COLUMN retry_backoff_base TO default_retry_backoff;

COMMENT ON COLUMN tributary.settings.default_retry_backoff IS
  'Default retry_backoff of new steps: the delay before the 2nd attempt; doubles per attempt (with jitter) up to retry_backoff_cap.';

COMMIT;
