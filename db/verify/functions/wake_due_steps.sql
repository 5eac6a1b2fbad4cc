-- Verify tributary:functions/wake_due_steps
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer FROM pg_catalog.pg_proc
WHERE oid = 'tributary.wake_due_steps(integer)'::regprocedure AND 'search_path=""' = ANY (proconfig);
ROLLBACK;
