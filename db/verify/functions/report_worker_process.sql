-- Verify tributary:functions/report_worker_process
BEGIN;
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_proc
WHERE oid = 'tributary.report_worker_process(text, text, integer, text[], text[], text)'::regprocedure;
ROLLBACK;
