-- Verify tributary:functions/_unlock_dependents
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary._unlock_dependents(bigint[])', 'execute')::int;
ROLLBACK;
