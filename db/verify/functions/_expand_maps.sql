-- Verify tributary:functions/_expand_maps
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer FROM pg_catalog.pg_proc
WHERE oid = 'tributary._expand_maps(bigint[])'::regprocedure AND proconfig @> ARRAY['search_path=""'];
ROLLBACK;
