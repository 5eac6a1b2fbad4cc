-- Verify tributary:functions/search_path_temp_last
BEGIN;
-- No function of the schema searches the temporary schema first: each pins pg_catalog, pg_temp
-- (but _step_rules, which has no SET clause and qualifies every name).
SELECT 1 / (pg_catalog.count(*) = 0)::int FROM pg_catalog.pg_proc AS p
WHERE p.pronamespace = 'tributary'::regnamespace AND p.proname <> '_step_rules'
  AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false);
ROLLBACK;
