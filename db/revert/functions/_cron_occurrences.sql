-- Revert tributary:functions/_cron_occurrences
BEGIN;
DROP FUNCTION tributary._cron_occurrences(text, text, timestamptz, timestamptz, integer);
COMMIT;
