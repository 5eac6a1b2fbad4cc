-- Revert tributary:triggers/steps_check_direct_insert
BEGIN;
DROP TRIGGER _100_check_direct_insert ON tributary.steps;
DROP FUNCTION tributary.tg_steps__check_direct_insert();
COMMIT;
