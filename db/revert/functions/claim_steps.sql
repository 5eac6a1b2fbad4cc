-- Revert tributary:functions/claim_steps
BEGIN;
DROP FUNCTION tributary.claim_steps(text, text, integer);
DROP FUNCTION tributary._map_element(bigint);
DROP FUNCTION tributary._result_origin(bigint);
COMMIT;
