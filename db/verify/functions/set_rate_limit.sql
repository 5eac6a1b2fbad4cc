-- Verify tributary:functions/set_rate_limit
BEGIN;
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_proc AS p
WHERE p.oid = 'tributary.set_rate_limit(text, text, integer, interval)'::regprocedure AND p.proconfig OPERATOR(pg_catalog.&&) ARRAY['search_path=""', 'search_path=pg_catalog, pg_temp'];
ROLLBACK;
