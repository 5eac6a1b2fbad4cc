-- Revert tributary:functions/pause_schedule
BEGIN;
DROP FUNCTION tributary.pause_schedule(text);
COMMIT;
