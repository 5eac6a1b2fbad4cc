-- Verify tributary:functions/claim_step
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.claim_step(text, text, integer)', 'execute')::int;
ROLLBACK;
