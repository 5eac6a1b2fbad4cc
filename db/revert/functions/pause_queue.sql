-- Revert tributary:functions/pause_queue
BEGIN;
DROP FUNCTION tributary.pause_queue(text);
COMMIT;
