-- Verify tributary:functions/prune_finished
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.prune_finished(interval, integer)', 'execute')::int;
-- The reworked form reads by key only.
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_proc AS p
WHERE p.oid = 'tributary.prune_finished(interval, integer)'::regprocedure AND 'enable_seqscan=off' = ANY (p.proconfig);
ROLLBACK;
