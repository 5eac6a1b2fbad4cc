-- Revert tributary:functions/_notify_available
BEGIN;
DROP FUNCTION tributary._notify_available(text[]);
COMMIT;
