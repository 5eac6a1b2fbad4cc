-- Revert tributary:functions/complete_step
BEGIN;
DROP FUNCTION tributary.complete_step(bigint, integer, jsonb);
COMMIT;
