-- Verify tributary:functions/prune_finished
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.prune_finished(interval, integer)', 'execute')::int;
ROLLBACK;
