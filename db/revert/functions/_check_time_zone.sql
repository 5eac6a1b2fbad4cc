-- Revert tributary:functions/_check_time_zone
BEGIN;
DROP FUNCTION tributary._check_time_zone(text);
COMMIT;
