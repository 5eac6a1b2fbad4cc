-- Revert tributary:functions/_cron_parse
BEGIN;
DROP FUNCTION tributary._cron_parse(text);
COMMIT;
