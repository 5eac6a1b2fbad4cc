-- Verify tributary:functions/complete_steps
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.complete_steps(bigint[], integer[], jsonb[])', 'execute')::int;
ROLLBACK;
