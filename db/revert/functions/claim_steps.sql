-- Revert tributary:functions/claim_steps
BEGIN;
DROP FUNCTION tributary.claim_steps(text, text, integer);
COMMIT;
