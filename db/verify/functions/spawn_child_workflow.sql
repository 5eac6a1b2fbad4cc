-- Verify tributary:functions/spawn_child_workflow
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer FROM pg_catalog.pg_proc
WHERE oid = 'tributary.spawn_child_workflow(bigint, integer, text, jsonb, jsonb)'::regprocedure AND proconfig OPERATOR(pg_catalog.&&) ARRAY['search_path=""', 'search_path=pg_catalog, pg_temp'];
ROLLBACK;
