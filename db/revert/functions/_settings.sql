-- Revert tributary:functions/_settings
BEGIN;
DROP FUNCTION tributary._settings();
COMMIT;
