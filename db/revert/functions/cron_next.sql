-- Revert tributary:functions/cron_next
BEGIN;
DROP FUNCTION tributary.cron_next(text, text, timestamptz);
COMMIT;
