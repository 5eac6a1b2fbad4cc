-- Verify tributary:functions/complete_steps_and_start
BEGIN;
SELECT 1 / (NOT p.prosecdef)::integer
FROM pg_catalog.pg_proc AS p
WHERE p.oid = 'tributary.complete_steps_and_start(bigint[], integer[], jsonb[], jsonb[], text, text[], integer[])'::regprocedure;
ROLLBACK;
