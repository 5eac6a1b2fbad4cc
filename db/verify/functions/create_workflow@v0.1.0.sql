-- Verify tributary:functions/create_workflow
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.create_workflow(text, jsonb, timestamptz, jsonb, text)', 'execute')::int;
ROLLBACK;
