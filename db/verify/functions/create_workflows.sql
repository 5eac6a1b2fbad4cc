-- Verify tributary:functions/create_workflows
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.create_workflows(jsonb)', 'execute')::int;
ROLLBACK;
