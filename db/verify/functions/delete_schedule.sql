-- Verify tributary:functions/delete_schedule
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.delete_schedule(text)', 'execute')::int;
ROLLBACK;
