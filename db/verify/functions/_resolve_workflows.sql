-- Verify tributary:functions/_resolve_workflows
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary._resolve_workflows(bigint[])', 'execute')::int;
ROLLBACK;
