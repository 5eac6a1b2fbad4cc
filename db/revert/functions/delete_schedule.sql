-- Revert tributary:functions/delete_schedule
BEGIN;
DROP FUNCTION tributary.delete_schedule(text);
COMMIT;
