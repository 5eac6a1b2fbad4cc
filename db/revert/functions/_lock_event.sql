-- Revert tributary:functions/_lock_event
BEGIN;
DROP FUNCTION tributary._lock_event(bigint, text, text);
COMMIT;
