-- Verify tributary:functions/forget_worker_process
BEGIN;
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_proc
WHERE oid = 'tributary.forget_worker_process(text)'::regprocedure;
ROLLBACK;
