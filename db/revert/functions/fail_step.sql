-- Revert tributary:functions/fail_step
BEGIN;
DROP FUNCTION tributary.fail_step(bigint, integer, jsonb, boolean);
COMMIT;
