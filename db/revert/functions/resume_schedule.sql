-- Revert tributary:functions/resume_schedule
BEGIN;
DROP FUNCTION tributary.resume_schedule(text);
COMMIT;
