-- Verify tributary:functions/_complete_waits
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer FROM pg_catalog.pg_proc
WHERE oid = 'tributary._complete_waits(bigint[], jsonb[])'::regprocedure AND proconfig OPERATOR(pg_catalog.&&) ARRAY['search_path=""', 'search_path=pg_catalog, pg_temp'];
ROLLBACK;
