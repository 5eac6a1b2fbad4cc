-- Revert tributary:triggers/steps_begin_wait
BEGIN;
DROP TRIGGER _020_begin_wait ON tributary.steps;
DROP FUNCTION tributary.tg_steps__begin_wait();
COMMIT;
