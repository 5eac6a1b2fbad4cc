-- Verify tributary:functions/spawn_child_workflow
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer FROM pg_catalog.pg_proc
WHERE oid = 'tributary.spawn_child_workflow(bigint, integer, text, jsonb, jsonb)'::regprocedure AND 'search_path=""' = ANY (proconfig);
ROLLBACK;
