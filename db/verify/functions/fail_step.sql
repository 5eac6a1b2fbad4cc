-- Verify tributary:functions/fail_step
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.fail_step(bigint, integer, jsonb, boolean)', 'execute')::int;
ROLLBACK;
