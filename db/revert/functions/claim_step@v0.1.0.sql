-- Revert tributary:functions/claim_step
BEGIN;
DROP FUNCTION tributary.claim_step(text, text, integer);
COMMIT;
