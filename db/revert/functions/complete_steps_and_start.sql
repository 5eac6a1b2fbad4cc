-- Revert tributary:functions/complete_steps_and_start
BEGIN;
DROP FUNCTION tributary.complete_steps_and_start(bigint[], integer[], jsonb[], jsonb[], text, text[], integer[]);
COMMIT;
