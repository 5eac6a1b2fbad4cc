-- Revert tributary:tables/settings to its @v0.1.0 form (the column's old name)
BEGIN;

ALTER TABLE tributary.settings RENAME COLUMN default_retry_backoff TO retry_backoff_base;

COMMENT ON COLUMN tributary.settings.retry_backoff_base IS 'Default delay before the 2nd attempt; doubles per attempt (with jitter) up to retry_backoff_cap.';

COMMIT;
