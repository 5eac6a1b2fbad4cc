-- Revert tributary:functions/claim_retry_in
BEGIN;
DROP FUNCTION tributary.claim_retry_in(text);
COMMIT;
