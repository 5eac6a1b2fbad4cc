-- Revert tributary:functions/resume_queue
BEGIN;
DROP FUNCTION tributary.resume_queue(text);
COMMIT;
