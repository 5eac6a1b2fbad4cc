-- Revert tributary:functions/rescue_expired_steps
BEGIN;
DROP FUNCTION tributary.rescue_expired_steps(integer);
COMMIT;
