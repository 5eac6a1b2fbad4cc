-- Verify tributary:functions/retry_workflow
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.retry_workflow(bigint)', 'execute')::int;
ROLLBACK;
