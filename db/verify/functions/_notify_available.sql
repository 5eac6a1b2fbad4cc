-- Verify tributary:functions/_notify_available
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer FROM pg_catalog.pg_proc
WHERE oid = 'tributary._notify_available(text[])'::regprocedure AND prosrc LIKE '%tributary.defer_available%';
ROLLBACK;
