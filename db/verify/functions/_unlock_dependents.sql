-- Verify tributary:functions/_unlock_dependents
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary._unlock_dependents(bigint[])', 'execute')::int;
-- The reworked shape: the input is looked up by key, never joined as an unnested list.
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_proc AS p
WHERE p.oid = 'tributary._unlock_dependents(bigint[])'::regprocedure AND pg_catalog.strpos(p.prosrc, 'v_counts ->> s.id::text') > 0;
ROLLBACK;
