-- Verify tributary:functions/cancel_workflow
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer FROM pg_catalog.pg_proc
WHERE oid = 'tributary.cancel_workflow(bigint, text)'::regprocedure AND prosecdef
  AND pg_catalog.pg_get_functiondef(oid) LIKE '%parent_workflow_id%';
ROLLBACK;
