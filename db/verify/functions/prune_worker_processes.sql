-- Verify tributary:functions/prune_worker_processes
BEGIN;
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_proc
WHERE oid = 'tributary.prune_worker_processes(interval)'::regprocedure;
ROLLBACK;
