-- Verify tributary:functions/_check_flow_target
BEGIN;
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_proc AS p
WHERE p.oid = 'tributary._check_flow_target(text, text)'::regprocedure AND p.proconfig OPERATOR(pg_catalog.&&) ARRAY['search_path=""', 'search_path=pg_catalog, pg_temp'];
ROLLBACK;
