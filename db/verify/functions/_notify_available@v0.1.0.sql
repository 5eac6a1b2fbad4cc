-- Verify tributary:functions/_notify_available
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary._notify_available(text[])', 'execute')::int;
ROLLBACK;
