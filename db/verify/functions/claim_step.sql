-- Verify tributary:functions/claim_step
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.claim_step(text, text, integer)', 'execute')::int;
-- The reworked shape: the input is looked up by key, never joined as an unnested list.
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_proc AS p
WHERE p.oid = 'tributary.claim_step(text, text, integer)'::regprocedure AND pg_catalog.strpos(p.prosrc, 'WHERE s.id = ANY (ARRAY(') > 0;
ROLLBACK;
