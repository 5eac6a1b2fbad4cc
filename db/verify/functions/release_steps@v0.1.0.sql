-- Verify tributary:functions/release_steps
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.release_steps(bigint[], integer[])', 'execute')::int;
ROLLBACK;
