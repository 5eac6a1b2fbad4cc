-- Verify tributary:functions/create_workflow
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.create_workflow(text, jsonb, timestamptz, jsonb, text)', 'execute')::int;
-- The reworked form is the one-workflow case of _create_workflows.
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_proc AS p
WHERE p.oid = 'tributary.create_workflow(text, jsonb, timestamptz, jsonb, text)'::regprocedure
  AND pg_catalog.strpos(p.prosrc, '_create_workflows(') > 0;
ROLLBACK;
