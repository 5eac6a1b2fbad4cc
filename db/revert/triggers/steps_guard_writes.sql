-- Revert tributary:triggers/steps_guard_writes
BEGIN;
DROP TRIGGER _010_guard_update ON tributary.steps;
DROP TRIGGER _010_guard_delete ON tributary.steps;
DROP FUNCTION tributary.tg_steps__guard_writes();
COMMIT;
