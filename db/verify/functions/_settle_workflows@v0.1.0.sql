-- Verify tributary:functions/_settle_workflows
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary._settle_workflows(bigint[])', 'execute')::int;
ROLLBACK;
