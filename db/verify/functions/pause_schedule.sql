-- Verify tributary:functions/pause_schedule
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.pause_schedule(text)', 'execute')::int;
ROLLBACK;
