-- Verify tributary:functions/_resolve_workflow
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary._resolve_workflow(bigint)', 'execute')::int;
-- The reworked form delegates to the set-based _resolve_workflows.
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_proc AS p
WHERE p.oid = 'tributary._resolve_workflow(bigint)'::regprocedure AND pg_catalog.strpos(p.prosrc, '_resolve_workflows(') > 0;
ROLLBACK;
