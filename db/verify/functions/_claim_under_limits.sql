-- Verify tributary:functions/_claim_under_limits
BEGIN;
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_proc AS p
WHERE p.oid = 'tributary._claim_under_limits(text, integer, timestamptz, boolean, boolean)'::regprocedure
  AND 'enable_seqscan=off' = ANY (p.proconfig);
ROLLBACK;
