-- Verify tributary:functions/wake_due_steps
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer FROM pg_catalog.pg_proc
WHERE oid = 'tributary.wake_due_steps(integer)'::regprocedure AND proconfig OPERATOR(pg_catalog.&&) ARRAY['search_path=""', 'search_path=pg_catalog, pg_temp'];
ROLLBACK;
