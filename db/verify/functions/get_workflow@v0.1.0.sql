-- Verify tributary:functions/get_workflow
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.get_workflow(bigint)', 'execute')::int;
ROLLBACK;
