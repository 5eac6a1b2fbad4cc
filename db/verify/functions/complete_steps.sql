-- Verify tributary:functions/complete_steps
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.complete_steps(bigint[], integer[], jsonb[])', 'execute')::int;
-- The reworked shape: the input is looked up by key, never joined as an unnested list.
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_proc AS p
WHERE p.oid = 'tributary.complete_steps(bigint[], integer[], jsonb[])'::regprocedure AND pg_catalog.strpos(p.prosrc, 'v_positions ? (s.id::text') > 0;
ROLLBACK;
