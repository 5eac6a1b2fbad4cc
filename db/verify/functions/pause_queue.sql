-- Verify tributary:functions/pause_queue
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.pause_queue(text)', 'execute')::int;
ROLLBACK;
