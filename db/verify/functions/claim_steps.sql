-- Verify tributary:functions/claim_steps
BEGIN;
SELECT 'tributary.claim_steps(text, text, integer)'::regprocedure;
ROLLBACK;
