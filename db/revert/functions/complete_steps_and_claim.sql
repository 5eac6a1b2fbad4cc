-- Revert tributary:functions/complete_steps_and_claim
BEGIN;
DROP FUNCTION tributary.complete_steps_and_claim(bigint[], integer[], jsonb[], text, text[], integer[]);
COMMIT;
