-- Verify tributary:functions/claim_steps
BEGIN;
SELECT 'tributary.claim_steps(text, text, integer)'::regprocedure;
SELECT 'tributary._result_origin(bigint)'::regprocedure;
SELECT 'tributary._map_element(bigint)'::regprocedure;
SELECT 1 / COUNT(*) FROM pg_catalog.pg_proc AS p
WHERE p.oid = 'tributary.claim_steps(text, text, integer)'::regprocedure
  AND p.proargnames[array_length(p.proargnames, 1)] = 'map_element';
ROLLBACK;
