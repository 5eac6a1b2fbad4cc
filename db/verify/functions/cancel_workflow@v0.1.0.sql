-- Verify tributary:functions/cancel_workflow
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.cancel_workflow(bigint, text)', 'execute')::int;
ROLLBACK;
