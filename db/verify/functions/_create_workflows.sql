-- Verify tributary:functions/_create_workflows
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary._create_workflows(jsonb, boolean)', 'execute')::int;
ROLLBACK;
