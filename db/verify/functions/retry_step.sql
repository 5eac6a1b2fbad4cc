-- Verify tributary:functions/retry_step
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.retry_step(bigint)', 'execute')::int;
ROLLBACK;
