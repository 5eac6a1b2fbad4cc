-- Verify tributary:functions/cron_next
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.cron_next(text, text, timestamptz)', 'execute')::int;
ROLLBACK;
