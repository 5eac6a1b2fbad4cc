-- Revert tributary:functions/hand_back_step
BEGIN;
DROP FUNCTION tributary.hand_back_step(bigint, integer, text, jsonb);
COMMIT;
