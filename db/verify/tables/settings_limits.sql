-- Verify tributary:tables/settings_limits
BEGIN;
SELECT 1 / (pg_catalog.count(*) = 5)::integer FROM pg_catalog.pg_constraint
WHERE conrelid = 'tributary.settings'::regclass AND convalidated
  AND conname IN ('settings_queue_length', 'settings_max_attempts_bounded', 'settings_timeout_bounded',
                  'settings_backoff_bounded', 'settings_lease_bounded');
ROLLBACK;
