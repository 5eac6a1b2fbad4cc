-- Revert tributary:triggers/steps_notify_slot_freed
BEGIN;
DROP TRIGGER _900_notify_slot_freed ON tributary.steps;
DROP FUNCTION tributary.tg_steps__notify_slot_freed();
COMMIT;
