-- Verify tributary:functions/_reopen_steps
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary._reopen_steps(bigint, bigint[])', 'execute')::int;
-- The reworked form reads by key only.
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_proc AS p
WHERE p.oid = 'tributary._reopen_steps(bigint, bigint[])'::regprocedure AND 'enable_hashjoin=off' = ANY (p.proconfig);
ROLLBACK;
