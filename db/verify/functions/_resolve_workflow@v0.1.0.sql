-- Verify tributary:functions/_resolve_workflow
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary._resolve_workflow(bigint)', 'execute')::int;
ROLLBACK;
