-- Verify tributary:functions/_complete_waits
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer FROM pg_catalog.pg_proc
WHERE oid = 'tributary._complete_waits(bigint[], jsonb[])'::regprocedure AND 'search_path=""' = ANY (proconfig);
ROLLBACK;
