-- Verify tributary:functions/_diagnose_task_options
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary._diagnose_task_options(jsonb)', 'execute')::int;
ROLLBACK;
