-- Revert tributary:triggers/steps_take_sent_event
BEGIN;
DROP TRIGGER _900_take_sent_event ON tributary.steps;
DROP FUNCTION tributary.tg_steps__take_sent_event();
COMMIT;
